using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// The DuckDB SELECT that reads one table at one snapshot: Parquet columns matched by field id (so renamed and added
/// columns read right in old files), deleted positions dropped, and catalog-inlined rows added.
/// </summary>
public static class TableScanSql
{
    /// <remarks>
    /// <paramref name="fileList"/> renders the list of plain files read in one read_parquet, given them and their local
    /// paths (by default a list literal of the paths). <paramref name="inlinedRows"/>, when given, is the SELECT that
    /// reads the table's inlined rows instead of <paramref name="data"/>'s as literal values.
    /// </remarks>
    public static string Build(LakeTable table, TableContent data, long snapshot, Func<string, string> localPath,
        Func<IReadOnlyList<DataFileInfo>, IReadOnlyList<string>, string>? fileList = null, string? inlinedRows = null)
    {
        var columns = string.Join(", ", table.Columns.Select(c => Identifier(c.Name)));
        var schema = FieldIdSchema(table.Columns);
        // Merged files (partial_max) hold rows and deletions of several snapshots; an older read keeps those up to it.
        var upToSnapshot = $"{Identifier(SnapshotIdColumn)} <= {snapshot.ToString(CultureInfo.InvariantCulture)}";
        List<string> parts = [];

        bool Partial(DataFileInfo file) => file.PartialMax > snapshot;
        var plain = data.Files.Where(f => f.Deletes is null && !data.InlinedDeletes.ContainsKey(f.Id) && !Partial(f)).ToList();
        if (plain.Count > 0)
        {
            var paths = plain.Select(f => localPath(f.Path)).ToList();
            parts.Add($"SELECT {columns} FROM read_parquet({fileList?.Invoke(plain, paths) ?? ListLiteral(paths)}, schema = {schema})");
        }

        foreach (var file in data.Files.Except(plain))
        {
            List<string> kept = Partial(file) ? [upToSnapshot] : [];
            if (file.Deletes is not null)
                kept.Add($"file_row_number NOT IN (SELECT pos FROM read_parquet({Literal(localPath(file.Deletes.Path))})" +
                         (file.Deletes.PartialMax > snapshot ? $" WHERE {upToSnapshot})" : ")"));
            if (data.InlinedDeletes.TryGetValue(file.Id, out var positions))
                kept.Add($"file_row_number NOT IN ({string.Join(", ", positions.Select(p => p.ToString(CultureInfo.InvariantCulture)))})");
            var fileSchema = Partial(file) ? FieldIdSchema(table.Columns, (SnapshotIdFieldId, SnapshotIdColumn)) : schema;
            parts.Add($"SELECT {columns} FROM read_parquet({Literal(localPath(file.Path))}, schema = {fileSchema}, file_row_number = true) " +
                      $"WHERE {string.Join(" AND ", kept)}");
        }

        if (inlinedRows is not null) parts.Add(inlinedRows);
        else if (data.InlinedRows.Count > 0) parts.Add(InlinedRowsSql(table, data.InlinedRows));

        if (parts.Count == 0) parts.Add(NoRowsSql(table));
        return string.Join("\nUNION ALL\n", parts);
    }

    /// <summary>A SELECT of the table's columns, typed, that returns no row.</summary>
    public static string NoRowsSql(LakeTable table) =>
        "SELECT " + string.Join(", ", table.Columns.Select(c => $"CAST(NULL AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}")) + " WHERE false";

    /// <summary>
    /// Rows inlined in the catalog as a SELECT of the table's columns, values cast from their text; with
    /// <paramref name="withIds"/> also each row's id and inserting snapshot, under the extension's internal names.
    /// </summary>
    public static string InlinedRowsSql(LakeTable table, IReadOnlyList<InlinedRow> rows, bool withIds = false)
    {
        var names = table.Columns.Select(c => Identifier(c.Name)).ToList();
        if (withIds) names.AddRange([Identifier(RowIdColumn), Identifier(SnapshotIdColumn)]);
        var values = rows.Select(row => "(" + string.Join(", ", table.Columns.Select(c =>
                $"CAST({NullableLiteral(row.Values.TryGetValue(c.Id, out var value) ? value : c.InitialDefault)} AS {c.Type.ToDuckDb()})")
            .Concat(withIds ? [row.RowId.ToString(CultureInfo.InvariantCulture), row.BeginSnapshot.ToString(CultureInfo.InvariantCulture)] : [])) + ")");
        var columns = string.Join(", ", names);
        return $"SELECT {columns} FROM (VALUES {string.Join(", ", values)}) AS inlined({columns})";
    }

    /// <summary>One data file read with the table's current columns, and its row positions as <c>file_row_number</c>.</summary>
    public static string FileWithPositions(LakeTable table, string localPath) =>
        $"SELECT * FROM read_parquet({Literal(localPath)}, schema = {FieldIdSchema(table.Columns)}, file_row_number = true)";

    /// <summary>Field id of the column in which rewritten files keep their rows' original row ids (Iceberg's _row_id).</summary>
    public const long RowIdFieldId = 2147483540;

    public const string RowIdColumn = "_ducklake_internal_row_id";

    /// <summary>Field id of the column in which a merged file keeps the snapshot that wrote each row (files with partial_max).</summary>
    public const long SnapshotIdFieldId = 2147483539;

    public const string SnapshotIdColumn = "_ducklake_internal_snapshot_id";

    /// <summary>The field id of one of the extension's internal columns.</summary>
    public static long InternalFieldId(string column) => column switch
    {
        RowIdColumn => RowIdFieldId,
        SnapshotIdColumn => SnapshotIdFieldId,
        _ => throw new ArgumentException($"'{column}' is not an internal column.", nameof(column)),
    };

    /// <summary>One data file's live rows with their row ids: kept ones from a rewritten file, else row_id_start + position.</summary>
    public static string FileWithRowIds(LakeTable table, DataFileInfo file, string localPath, IReadOnlyCollection<long> deletedPositions)
    {
        var schema = FieldIdSchema(table.Columns, (RowIdFieldId, RowIdColumn));
        var columns = string.Join(", ", table.Columns.Select(c => Identifier(c.Name)));
        var kept = deletedPositions.Count == 0
            ? ""
            : $" WHERE file_row_number NOT IN ({string.Join(", ", deletedPositions.Select(p => p.ToString(CultureInfo.InvariantCulture)))})";
        return $"SELECT {columns}, COALESCE({Identifier(RowIdColumn)}, {file.RowIdStart.ToString(CultureInfo.InvariantCulture)} + file_row_number) " +
               $"AS {Identifier(RowIdColumn)} FROM read_parquet({Literal(localPath)}, schema = {schema}, file_row_number = true){kept}";
    }

    /// <summary>
    /// The <c>schema</c> argument of read_parquet: field id → name, type and the value for files without it; extra
    /// BIGINT fields (the extension's internal row id or snapshot id) read as NULL where a file lacks them.
    /// </summary>
    private static string FieldIdSchema(IReadOnlyList<LakeColumn> columns, params (long FieldId, string Name)[] extra) =>
        "MAP {" + string.Join(", ", columns.Select(c =>
                $"{c.Id.ToString(CultureInfo.InvariantCulture)}: {{name: {Literal(c.Name)}, type: {Literal(c.Type.ToDuckDb())}, " +
                $"default_value: {(c.InitialDefault is null ? "NULL" : $"CAST({Literal(c.InitialDefault)} AS {c.Type.ToDuckDb()})")}}}")
            .Concat(extra.Select(e => $"{e.FieldId.ToString(CultureInfo.InvariantCulture)}: {{name: {Literal(e.Name)}, type: 'BIGINT', default_value: NULL}}"))) + "}";

    public static string ListLiteral(IEnumerable<string> values) => $"[{string.Join(", ", values.Select(Literal))}]";

    private static string NullableLiteral(string? value) => value is null ? "NULL" : Literal(value);
}
