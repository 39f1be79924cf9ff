namespace Auraison.DataPlane.Lake.Tests.Catalog;

/// <summary>The spec-1.0 tables and their column order, as ../shared/ducklake/spec-notes.md §5 lists them.</summary>
internal static class SpecTables
{
    public static readonly IReadOnlyDictionary<string, string[]> Columns = new Dictionary<string, string[]>
    {
        ["ducklake_metadata"] = ["key", "value", "scope", "scope_id"],
        ["ducklake_snapshot"] = ["snapshot_id", "snapshot_time", "schema_version", "next_catalog_id", "next_file_id"],
        ["ducklake_snapshot_changes"] = ["snapshot_id", "changes_made", "author", "commit_message", "commit_extra_info"],
        ["ducklake_schema"] = ["schema_id", "schema_uuid", "begin_snapshot", "end_snapshot", "schema_name", "path", "path_is_relative"],
        ["ducklake_table"] = ["table_id", "table_uuid", "begin_snapshot", "end_snapshot", "schema_id", "table_name", "path", "path_is_relative"],
        ["ducklake_view"] = ["view_id", "view_uuid", "begin_snapshot", "end_snapshot", "schema_id", "view_name", "dialect", "sql", "column_aliases"],
        ["ducklake_tag"] = ["object_id", "begin_snapshot", "end_snapshot", "key", "value"],
        ["ducklake_column_tag"] = ["table_id", "column_id", "begin_snapshot", "end_snapshot", "key", "value"],
        ["ducklake_data_file"] = ["data_file_id", "table_id", "begin_snapshot", "end_snapshot", "file_order", "path", "path_is_relative",
            "file_format", "record_count", "file_size_bytes", "footer_size", "row_id_start", "partition_id", "encryption_key", "mapping_id", "partial_max"],
        ["ducklake_file_column_stats"] = ["data_file_id", "table_id", "column_id", "column_size_bytes", "value_count", "null_count",
            "min_value", "max_value", "contains_nan", "extra_stats"],
        ["ducklake_file_variant_stats"] = ["data_file_id", "table_id", "column_id", "variant_path", "shredded_type", "column_size_bytes",
            "value_count", "null_count", "min_value", "max_value", "contains_nan", "extra_stats"],
        ["ducklake_delete_file"] = ["delete_file_id", "table_id", "begin_snapshot", "end_snapshot", "data_file_id", "path", "path_is_relative",
            "format", "delete_count", "file_size_bytes", "footer_size", "encryption_key", "partial_max"],
        ["ducklake_column"] = ["column_id", "begin_snapshot", "end_snapshot", "table_id", "column_order", "column_name", "column_type",
            "initial_default", "default_value", "nulls_allowed", "parent_column", "default_value_type", "default_value_dialect"],
        ["ducklake_table_stats"] = ["table_id", "record_count", "next_row_id", "file_size_bytes"],
        ["ducklake_table_column_stats"] = ["table_id", "column_id", "contains_null", "contains_nan", "min_value", "max_value", "extra_stats"],
        ["ducklake_partition_info"] = ["partition_id", "table_id", "begin_snapshot", "end_snapshot"],
        ["ducklake_partition_column"] = ["partition_id", "table_id", "partition_key_index", "column_id", "transform"],
        ["ducklake_file_partition_value"] = ["data_file_id", "table_id", "partition_key_index", "partition_value"],
        ["ducklake_files_scheduled_for_deletion"] = ["data_file_id", "path", "path_is_relative", "schedule_start"],
        ["ducklake_inlined_data_tables"] = ["table_id", "table_name", "schema_version"],
        ["ducklake_column_mapping"] = ["mapping_id", "table_id", "type"],
        ["ducklake_name_mapping"] = ["mapping_id", "column_id", "source_name", "target_field_id", "parent_column", "is_partition"],
        ["ducklake_schema_versions"] = ["begin_snapshot", "schema_version", "table_id"],
        ["ducklake_macro"] = ["schema_id", "macro_id", "macro_name", "begin_snapshot", "end_snapshot"],
        ["ducklake_macro_impl"] = ["macro_id", "impl_id", "dialect", "sql", "type"],
        ["ducklake_macro_parameters"] = ["macro_id", "impl_id", "column_id", "parameter_name", "parameter_type", "default_value", "default_value_type"],
        ["ducklake_sort_info"] = ["sort_id", "table_id", "begin_snapshot", "end_snapshot"],
        ["ducklake_sort_expression"] = ["sort_id", "table_id", "sort_key_index", "expression", "dialect", "sort_direction", "null_order"],
    };
}
