using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Columnar rows on local disk: a request body (a Parquet file, as pyarrow or pandas write it) spooled by the
/// service, or Parquet files already stored that are registered into a table; with their columns as DuckDB reads
/// them. The rows never pass through the service as values: DuckDB reads them to check and to stage.
/// </summary>
public sealed class ParquetSpool : ISpooledRows
{
    private readonly IReadOnlyList<string> _files;
    private readonly bool _owned;
    private IReadOnlyList<long> _counts = [];

    private ParquetSpool(IReadOnlyList<string> files, bool owned) => (_files, _owned) = (files, owned);

    /// <summary>The (first) file.</summary>
    public string Path => _files[0];

    public int Count { get; private set; }

    public long Bytes => _files.Sum(f => new FileInfo(f).Length);

    /// <summary>Top-level columns of the file, by name, with their types.</summary>
    public IReadOnlyList<ColumnDefinition> Columns { get; private set; } = [];

    /// <summary>Spools the body and reads its schema and row count from the footer; a body that is not Parquet is a 400.</summary>
    public static async Task<ParquetSpool> ReadAsync(Stream body, string directory, Lakehouse lake, CancellationToken cancellationToken)
    {
        var spool = new ParquetSpool([System.IO.Path.Combine(directory, $"spool-{Guid.NewGuid():N}.parquet")], owned: true);
        try
        {
            await using (var file = new FileStream(spool.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                await body.CopyToAsync(file, cancellationToken);
            await spool.ReadFootersAsync(lake, cancellationToken);
            return spool;
        }
        catch (DuckDBException e)
        {
            spool.Dispose();
            throw new BadHttpRequestException($"The body is not a readable Parquet file: {e.Message}");
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parquet files already on local disk, read as one body (columns united by name); they stay where they are.
    /// A file DuckDB cannot read as Parquet is a 422.
    /// </summary>
    public static async Task<ParquetSpool> OpenAsync(IReadOnlyList<string> files, Lakehouse lake, CancellationToken cancellationToken)
    {
        var spool = new ParquetSpool(files, owned: false);
        try
        {
            await spool.ReadFootersAsync(lake, cancellationToken);
            return spool;
        }
        catch (DuckDBException e)
        {
            throw new IngestRejectedException(StatusCodes.Status422UnprocessableEntity, "Not readable Parquet",
                $"The files cannot be read together as Parquet: {e.Message}");
        }
    }

    private async Task ReadFootersAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var work = lake.OpenWorkConnection();
        List<long> counts = [];
        foreach (var file in _files) counts.Add(await work.ScalarAsync<long>(null, $"SELECT count(*) FROM read_parquet({Literal(file)})", cancellationToken));
        (_counts, Count) = (counts, (int)counts.Sum());
        Columns = await DescribeAsync(work, ReadArguments, cancellationToken);
    }

    private string ReadArguments => _files.Count == 1 ? Literal(_files[0]) : $"[{string.Join(", ", _files.Select(Literal))}], union_by_name = true";

    /// <summary>
    /// The rows as a SELECT: each column as it is in the file, and each row's position as <c>file_row_number</c>
    /// (counted on through the files, in their order, when there are several).
    /// </summary>
    public string Source => _files.Count == 1
        ? $"SELECT * FROM read_parquet({ReadArguments}, file_row_number = true)"
        : $"SELECT * EXCLUDE (filename, file_row_number), file_row_number + CASE filename {Offsets()} END AS file_row_number " +
          $"FROM read_parquet({ReadArguments}, file_row_number = true, filename = true)";

    private string Offsets() => string.Join(" ", _files.Select((file, i) =>
        $"WHEN {Literal(file)} THEN {_counts.Take(i).Sum().ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    private static async Task<List<ColumnDefinition>> DescribeAsync(DuckDBConnection work, string files, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = $"DESCRIBE SELECT * FROM read_parquet({files})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<ColumnDefinition> columns = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            var (name, type) = (reader.GetString(0), reader.GetString(1));
            try
            {
                columns.Add(new ColumnDefinition(name, LakeType.ParseDuckDb(type)));
            }
            catch (LakeSchemaException e)
            {
                throw new IngestRejectedException(StatusCodes.Status422UnprocessableEntity, "Records do not fit the table",
                    $"Column '{name}' of the body has type {type}, which cannot be stored: {e.Message}");
            }
        }
        return columns;
    }

    public void Dispose()
    {
        if (_owned) File.Delete(Path);
    }
}

/// <summary>A request's rows as spooled to local disk, whatever the body's format.</summary>
public interface ISpooledRows : IDisposable
{
    string Path { get; }

    int Count { get; }

    long Bytes { get; }
}
