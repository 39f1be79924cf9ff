using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// A columnar request body (a Parquet file, as pyarrow or pandas write it) on local disk, with its columns as DuckDB
/// reads them. Its rows never pass through the service as values: DuckDB reads them to check and to stage.
/// </summary>
public sealed class ParquetSpool : ISpooledRows
{
    private ParquetSpool(string path) => Path = path;

    public string Path { get; }

    public int Count { get; private set; }

    public long Bytes => new FileInfo(Path).Length;

    /// <summary>Top-level columns of the file, by name, with their types.</summary>
    public IReadOnlyList<ColumnDefinition> Columns { get; private set; } = [];

    /// <summary>Spools the body and reads its schema and row count from the footer; a body that is not Parquet is a 400.</summary>
    public static async Task<ParquetSpool> ReadAsync(Stream body, string directory, Lakehouse lake, CancellationToken cancellationToken)
    {
        var spool = new ParquetSpool(System.IO.Path.Combine(directory, $"spool-{Guid.NewGuid():N}.parquet"));
        try
        {
            await using (var file = new FileStream(spool.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                await body.CopyToAsync(file, cancellationToken);
            await using var work = lake.OpenWorkConnection();
            spool.Count = (int)await ScalarAsync(work, $"SELECT count(*) FROM read_parquet({Literal(spool.Path)})", cancellationToken);
            spool.Columns = await DescribeAsync(work, spool.Path, cancellationToken);
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

    /// <summary>The rows as a SELECT: each column as it is in the file, and each row's position as <c>file_row_number</c>.</summary>
    public string Source => $"SELECT * FROM read_parquet({Literal(Path)}, file_row_number = true)";

    private static async Task<List<ColumnDefinition>> DescribeAsync(DuckDBConnection work, string path, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = $"DESCRIBE SELECT * FROM read_parquet({Literal(path)})";
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

    private static async Task<long> ScalarAsync(DuckDBConnection work, string sql, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => File.Delete(Path);
}

/// <summary>A request's rows as spooled to local disk, whatever the body's format.</summary>
public interface ISpooledRows : IDisposable
{
    string Path { get; }

    int Count { get; }

    long Bytes { get; }
}
