using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Schema;

/// <summary>
/// The service's own tables, next to the DuckLake tables in the catalog database so they commit in the same
/// transaction as the snapshot they describe. DuckLake readers ignore them.
/// </summary>
public static class ServiceTables
{
    private static readonly string[] Statements =
    [
        """
        CREATE TABLE IF NOT EXISTS dataplane_idempotency(tenant_id VARCHAR NOT NULL, idempotency_key VARCHAR NOT NULL,
          request_hash VARCHAR NOT NULL, reply VARCHAR NOT NULL, created_at TIMESTAMP WITH TIME ZONE,
          PRIMARY KEY (tenant_id, idempotency_key))
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_ingest_lineage(partition_id UUID PRIMARY KEY, tenant_id VARCHAR NOT NULL,
          table_name VARCHAR NOT NULL, job_id VARCHAR, schema_version VARCHAR, row_count BIGINT, quarantined_count BIGINT,
          lake_snapshot_id BIGINT, data_files VARCHAR, caller VARCHAR, ingested_at TIMESTAMP WITH TIME ZONE)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_retrieval_sources(table_name VARCHAR PRIMARY KEY, text_template VARCHAR NOT NULL,
          metadata_fields VARCHAR NOT NULL, time_field VARCHAR, updated_at TIMESTAMP WITH TIME ZONE)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_api_keys(key_id VARCHAR PRIMARY KEY, secret_hash VARCHAR NOT NULL, tenant_id VARCHAR,
          scopes VARCHAR NOT NULL, name VARCHAR, created_at TIMESTAMP WITH TIME ZONE, created_by VARCHAR, revoked_at TIMESTAMP WITH TIME ZONE)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_policies(tenant_id VARCHAR PRIMARY KEY, version BIGINT NOT NULL, policy VARCHAR NOT NULL,
          updated_at TIMESTAMP WITH TIME ZONE, updated_by VARCHAR)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_policy_audit(tenant_id VARCHAR NOT NULL, version BIGINT NOT NULL, changed_at TIMESTAMP WITH TIME ZONE,
          changed_by VARCHAR, old_policy VARCHAR, new_policy VARCHAR NOT NULL, PRIMARY KEY (tenant_id, version))
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_retention_runs(tenant_id VARCHAR NOT NULL, lake_snapshot_id BIGINT NOT NULL,
          cutoff TIMESTAMP WITH TIME ZONE, ran_at TIMESTAMP WITH TIME ZONE, PRIMARY KEY (tenant_id, lake_snapshot_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_embedding_outbox(partition_id UUID PRIMARY KEY, tenant_id VARCHAR NOT NULL,
          table_name VARCHAR NOT NULL, lake_snapshot_id BIGINT, enqueued_at TIMESTAMP WITH TIME ZONE)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_maintenance_locks(step VARCHAR PRIMARY KEY, holder VARCHAR, held_until TIMESTAMP WITH TIME ZONE)
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_maintenance_runs(run_id VARCHAR PRIMARY KEY, step VARCHAR NOT NULL, dry_run BOOLEAN NOT NULL,
          outcome VARCHAR NOT NULL, started_at TIMESTAMP WITH TIME ZONE, milliseconds BIGINT, replica VARCHAR, snapshots BIGINT, files BIGINT,
          bytes BIGINT, detail VARCHAR)
        """,
        // Dataset exports: what was asked, how far it got, what it wrote.
        """
        CREATE TABLE IF NOT EXISTS dataplane_datasets(dataset_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
          version VARCHAR NOT NULL, format VARCHAR NOT NULL, request VARCHAR NOT NULL, status VARCHAR NOT NULL, progress DOUBLE PRECISION NOT NULL,
          lake_snapshot_id BIGINT NOT NULL, location VARCHAR NOT NULL, files VARCHAR, error VARCHAR, created_at TIMESTAMP WITH TIME ZONE,
          finished_at TIMESTAMP WITH TIME ZONE, heartbeat_at TIMESTAMP WITH TIME ZONE)
        """,
        // Feature views, and the latest feature values per entity that online lookups read.
        """
        CREATE TABLE IF NOT EXISTS dataplane_feature_views(tenant_id VARCHAR NOT NULL, view_name VARCHAR NOT NULL, definition VARCHAR NOT NULL,
          updated_at TIMESTAMP WITH TIME ZONE, PRIMARY KEY (tenant_id, view_name))
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_online_features(tenant_id VARCHAR NOT NULL, view_name VARCHAR NOT NULL, entity VARCHAR NOT NULL,
          features VARCHAR NOT NULL, event_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (tenant_id, view_name, entity))
        """,
        """
        CREATE TABLE IF NOT EXISTS dataplane_feature_materializations(tenant_id VARCHAR NOT NULL, view_name VARCHAR NOT NULL,
          lake_snapshot_up_to BIGINT NOT NULL, materialized_at TIMESTAMP WITH TIME ZONE, PRIMARY KEY (tenant_id, view_name))
        """,
        // Presigned uploads waiting for their complete call (then the object's registry row).
        """
        CREATE TABLE IF NOT EXISTS dataplane_object_uploads(upload_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, object_key VARCHAR NOT NULL,
          path VARCHAR NOT NULL, content_type VARCHAR NOT NULL, size_bytes BIGINT, sha256 VARCHAR, metadata VARCHAR NOT NULL, job_id VARCHAR NOT NULL,
          caller VARCHAR NOT NULL, expires_at TIMESTAMP WITH TIME ZONE NOT NULL)
        """,
        // Claims, retries and parking of outbox entries (added to catalogs created before them).
        "ALTER TABLE dataplane_embedding_outbox ADD COLUMN IF NOT EXISTS attempts INTEGER DEFAULT 0",
        "ALTER TABLE dataplane_embedding_outbox ADD COLUMN IF NOT EXISTS claimed_until TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE dataplane_embedding_outbox ADD COLUMN IF NOT EXISTS next_attempt_at TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE dataplane_embedding_outbox ADD COLUMN IF NOT EXISTS last_error VARCHAR",
        "ALTER TABLE dataplane_embedding_outbox ADD COLUMN IF NOT EXISTS parked_at TIMESTAMP WITH TIME ZONE",
    ];

    public static async Task EnsureAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await lake.Catalog.LockForCreationAsync(connection, transaction, cancellationToken);
        foreach (var statement in Statements) await connection.ExecuteAsync(transaction, statement, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
