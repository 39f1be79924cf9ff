using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>The two ways the service runs; every storage scenario is tested in both.</summary>
public enum LakeMode
{
    /// <summary>DuckDB catalog file, Parquet on local disk, vectors in DuckDB.</summary>
    Embedded,

    /// <summary>PostgreSQL catalog, Parquet in S3, vectors in pgvector.</summary>
    Production,
}

public static class Modes
{
    public static TheoryData<LakeMode> Both => new() { LakeMode.Embedded, LakeMode.Production };
}
