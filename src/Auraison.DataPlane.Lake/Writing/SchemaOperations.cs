using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>DDL inside a commit: schemas, tables, columns and partitioning, as spec-1.0 catalog rows.</summary>
public static class SchemaOperations
{
    /// <summary>
    /// The schema of that name, created when missing. It is looked up as this commit sees it, so a commit that
    /// creates several tables in a new schema creates the schema once.
    /// </summary>
    public static async Task<LakeSchema> EnsureSchemaAsync(this CatalogCommit commit, string name, CancellationToken cancellationToken)
    {
        var existing = (await commit.Reader.SchemasAsync(commit.SnapshotId, cancellationToken))
            .FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null) return existing;
        RequireName(name, "schema");
        var id = commit.AllocateCatalogId();
        var uuid = Guid.CreateVersion7();
        var path = DataPaths.DirectoryName(name, uuid);
        await commit.ExecuteAsync("INSERT INTO ducklake_schema VALUES ($1, $2, $3, NULL, $4, $5, true)", cancellationToken,
            id, uuid, commit.SnapshotId, name, path);
        commit.Record(SnapshotChange.CreatedSchema(name));
        commit.MarkSchemaChanged();
        return new LakeSchema(id, uuid, name, commit.DataPath + path);
    }

    /// <summary>Creates the table, or returns it when a table of that name is already visible.</summary>
    public static async Task<LakeTable> EnsureTableAsync(this CatalogCommit commit, string schemaName, string name,
        IReadOnlyList<ColumnDefinition> columns, IReadOnlyList<(string Column, PartitionTransform Transform)> partitioning,
        CancellationToken cancellationToken)
    {
        var existing = await commit.FindTableAsync(schemaName, name, cancellationToken);
        if (existing is not null) return existing;
        RequireName(name, "table");
        RequireColumns(columns, []);
        var schema = await commit.EnsureSchemaAsync(schemaName, cancellationToken);
        var tableId = commit.AllocateCatalogId();
        var uuid = Guid.CreateVersion7();
        var path = DataPaths.DirectoryName(name, uuid);
        await commit.ExecuteAsync("INSERT INTO ducklake_table VALUES ($1, $2, $3, NULL, $4, $5, $6, true)", cancellationToken,
            tableId, uuid, commit.SnapshotId, schema.Id, name, path);
        var nextColumnId = 1L;
        foreach (var column in columns)
            nextColumnId = await InsertColumnAsync(commit, tableId, column, nextColumnId, parent: null, cancellationToken);
        commit.RecordCreatedTable(tableId, schema.Name, name);
        commit.MarkSchemaChanged(tableId);
        var created = (await commit.Reader.TableAsync(commit.SnapshotId, tableId, cancellationToken))!;
        return partitioning.Count == 0 ? created : await commit.SetPartitioningAsync(created, partitioning, cancellationToken);
    }

    public static Task<LakeTable?> FindTableAsync(this CatalogCommit commit, string schemaName, string name, CancellationToken cancellationToken) =>
        commit.Reader.TableByNameAsync(commit.SnapshotId, schemaName, name, cancellationToken);

    /// <summary>Sets a key/value tag on a schema, table or view (<c>ducklake_tag</c>), ending its previous value.</summary>
    public static async Task SetTagAsync(this CatalogCommit commit, long objectId, string key, string value, CancellationToken cancellationToken)
    {
        await commit.ExecuteAsync("UPDATE ducklake_tag SET end_snapshot = $1 WHERE object_id = $2 AND key = $3 AND end_snapshot IS NULL",
            cancellationToken, commit.SnapshotId, objectId, key);
        await commit.ExecuteAsync("DELETE FROM ducklake_tag WHERE object_id = $1 AND key = $2 AND begin_snapshot = $3 AND end_snapshot = $3",
            cancellationToken, objectId, key, commit.SnapshotId);
        await commit.ExecuteAsync("INSERT INTO ducklake_tag VALUES ($1, $2, NULL, $3, $4)", cancellationToken, objectId, commit.SnapshotId, key, value);
    }

    public static async Task<LakeTable> AddColumnsAsync(this CatalogCommit commit, LakeTable table, IReadOnlyList<ColumnDefinition> columns,
        CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(table, cancellationToken);
        RequireColumns(columns, current.Columns.Select(c => c.Name));
        // Column ids are never reused within a table, not even those of dropped columns.
        var nextColumnId = 1 + (await commit.Connection.ScalarAsync<long?>(commit.Transaction,
            "SELECT max(column_id) FROM ducklake_column WHERE table_id = $1", cancellationToken, table.Id) ?? 0);
        foreach (var column in columns)
            nextColumnId = await InsertColumnAsync(commit, table.Id, column, nextColumnId, parent: null, cancellationToken);
        return await commit.AlteredAsync(table.Id, cancellationToken);
    }

    public static async Task<LakeTable> RenameColumnAsync(this CatalogCommit commit, LakeTable table, string from, string to,
        CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(table, cancellationToken);
        var column = current.FindColumn(from) ?? throw new LakeSchemaException($"Table {table.QualifiedName} has no column '{from}'.");
        RequireColumns([new ColumnDefinition(to, column.Type)], current.Columns.Where(c => c.Id != column.Id).Select(c => c.Name));
        // A rename ends the column's row and opens a new one with the same id; a column created in this very
        // commit is simply renamed in place.
        await commit.ExecuteAsync(
            """
            INSERT INTO ducklake_column
            SELECT column_id, $1, NULL, table_id, column_order, $2, column_type, initial_default, default_value, nulls_allowed,
                   parent_column, default_value_type, default_value_dialect
            FROM ducklake_column WHERE table_id = $3 AND column_id = $4 AND end_snapshot IS NULL AND begin_snapshot < $1
            """, cancellationToken, commit.SnapshotId, to, table.Id, column.Id);
        await commit.ExecuteAsync(
            "UPDATE ducklake_column SET end_snapshot = $1 WHERE table_id = $2 AND column_id = $3 AND end_snapshot IS NULL AND begin_snapshot < $1",
            cancellationToken, commit.SnapshotId, table.Id, column.Id);
        await commit.ExecuteAsync(
            "UPDATE ducklake_column SET column_name = $1 WHERE table_id = $2 AND column_id = $3 AND begin_snapshot = $4 AND end_snapshot IS NULL",
            cancellationToken, to, table.Id, column.Id, commit.SnapshotId);
        return await commit.AlteredAsync(table.Id, cancellationToken);
    }

    public static async Task<LakeTable> DropColumnAsync(this CatalogCommit commit, LakeTable table, string name, CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(table, cancellationToken);
        var column = current.FindColumn(name) ?? throw new LakeSchemaException($"Table {table.QualifiedName} has no column '{name}'.");
        if (current.Columns.Count == 1) throw new LakeSchemaException($"Cannot drop '{name}', the only column of {table.QualifiedName}.");
        if (current.Partitioning.Any(k => k.ColumnId == column.Id))
            throw new LakeSchemaException($"Cannot drop '{name}': {table.QualifiedName} is partitioned by it.");
        await EndColumnsAsync(commit, table.Id, column.PreOrder().Select(c => c.Id).ToList(), cancellationToken);
        return await commit.AlteredAsync(table.Id, cancellationToken);
    }

    public static async Task<LakeTable> SetPartitioningAsync(this CatalogCommit commit, LakeTable table,
        IReadOnlyList<(string Column, PartitionTransform Transform)> keys, CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(table, cancellationToken);
        var resolved = keys.Select(k =>
        {
            var column = current.FindColumn(k.Column) ?? throw new LakeSchemaException($"Cannot partition by '{k.Column}': {table.QualifiedName} has no such column.");
            if (k.Transform != PartitionTransform.Identity && !column.Type.IsTemporal)
                throw new LakeSchemaException($"Cannot partition by {k.Transform.ToString().ToLowerInvariant()}({k.Column}): it is {column.Type}, not a date or timestamp.");
            if (k.Transform == PartitionTransform.Hour && column.Type.Name == "date")
                throw new LakeSchemaException($"Cannot partition by hour({k.Column}): it is a date.");
            if (column.Type.IsNested) throw new LakeSchemaException($"Cannot partition by nested column '{k.Column}'.");
            return new PartitionKey(column.Id, k.Transform);
        }).ToList();
        await commit.ExecuteAsync($"UPDATE ducklake_partition_info SET end_snapshot = $1 WHERE table_id = $2 AND end_snapshot IS NULL",
            cancellationToken, commit.SnapshotId, table.Id);
        if (resolved.Count > 0)
        {
            var partitionId = commit.AllocateCatalogId();
            await commit.ExecuteAsync("INSERT INTO ducklake_partition_info VALUES ($1, $2, $3, NULL)", cancellationToken,
                partitionId, table.Id, commit.SnapshotId);
            for (var i = 0; i < resolved.Count; i++)
                await commit.ExecuteAsync("INSERT INTO ducklake_partition_column VALUES ($1, $2, $3, $4, $5)", cancellationToken,
                    partitionId, table.Id, (long)i, resolved[i].ColumnId, resolved[i].Transform.ToString().ToLowerInvariant());
        }
        return await commit.AlteredAsync(table.Id, cancellationToken);
    }

    public static async Task DropTableAsync(this CatalogCommit commit, LakeTable table, CancellationToken cancellationToken)
    {
        await commit.CurrentAsync(table, cancellationToken);
        foreach (var catalogTable in new[] { "ducklake_table", "ducklake_partition_info", "ducklake_column", "ducklake_column_tag", "ducklake_data_file", "ducklake_delete_file" })
            await commit.ExecuteAsync($"UPDATE {catalogTable} SET end_snapshot = $1 WHERE table_id = $2 AND end_snapshot IS NULL",
                cancellationToken, commit.SnapshotId, table.Id);
        await commit.ExecuteAsync("UPDATE ducklake_tag SET end_snapshot = $1 WHERE object_id = $2 AND end_snapshot IS NULL",
            cancellationToken, commit.SnapshotId, table.Id);
        commit.Record(SnapshotChange.DroppedTable(table.Id));
        commit.MarkSchemaChanged();
    }

    /// <summary>The table as the commit sees it now; a conflict when another writer dropped it meanwhile.</summary>
    public static async Task<LakeTable> CurrentAsync(this CatalogCommit commit, LakeTable table, CancellationToken cancellationToken) =>
        await commit.Reader.TableAsync(commit.SnapshotId, table.Id, cancellationToken)
        ?? throw new LakeConflictException($"Table {table.QualifiedName} no longer exists (dropped by another writer).");

    private static async Task<LakeTable> AlteredAsync(this CatalogCommit commit, long tableId, CancellationToken cancellationToken)
    {
        if (!commit.Created(tableId)) commit.Record(SnapshotChange.Altered(tableId));
        commit.MarkSchemaChanged(tableId);
        return (await commit.Reader.TableAsync(commit.SnapshotId, tableId, cancellationToken))!;
    }

    private static async Task<long> InsertColumnAsync(CatalogCommit commit, long tableId, ColumnDefinition column, long id, long? parent,
        CancellationToken cancellationToken)
    {
        await commit.ExecuteAsync("INSERT INTO ducklake_column VALUES ($1, $2, NULL, $3, $4, $5, $6, NULL, NULL, true, $7, 'literal', 'duckdb')",
            cancellationToken, id, commit.SnapshotId, tableId, id, column.Name, column.Type.Name, parent);
        var next = id + 1;
        foreach (var child in column.Type.Children)
            next = await InsertColumnAsync(commit, tableId, new ColumnDefinition(child.Name, child.Type), next, id, cancellationToken);
        return next;
    }

    private static async Task EndColumnsAsync(CatalogCommit commit, long tableId, IReadOnlyList<long> columnIds, CancellationToken cancellationToken)
    {
        foreach (var columnId in columnIds)
        {
            await commit.ExecuteAsync("UPDATE ducklake_column SET end_snapshot = $1 WHERE table_id = $2 AND column_id = $3 AND end_snapshot IS NULL",
                cancellationToken, commit.SnapshotId, tableId, columnId);
            // A column created and ended within this commit would be visible nowhere; drop its rows outright.
            await commit.ExecuteAsync("DELETE FROM ducklake_column WHERE table_id = $1 AND column_id = $2 AND begin_snapshot = $3 AND end_snapshot = $3",
                cancellationToken, tableId, columnId, commit.SnapshotId);
        }
    }

    private static void RequireName(string name, string kind)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new LakeSchemaException($"A {kind} name cannot be empty.");
    }

    private static void RequireColumns(IReadOnlyList<ColumnDefinition> columns, IEnumerable<string> existing)
    {
        var seen = new HashSet<string>(existing, StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns)
        {
            RequireName(column.Name, "column");
            if (!seen.Add(column.Name)) throw new LakeSchemaException($"Column '{column.Name}' is defined twice.");
        }
    }
}
