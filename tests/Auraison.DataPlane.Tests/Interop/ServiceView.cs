using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Interop;

/// <summary>
/// The lake as the service's API shows it to one tenant, snapshot by snapshot: <c>/data/lake/snapshots</c> for the
/// commits and <c>/data/query?lake_snapshot_id=n</c> for the tables and rows, in the form the reference CLI's view is
/// compared with.
/// </summary>
internal static class ServiceView
{
    public static async Task<LakeView> CaptureAsync(DataPlaneApp app, string tenant)
    {
        var snapshots = await app.Client.GetFromJsonAsync<JsonElement>($"/data/lake/snapshots?tenant_id={tenant}&limit=1000", DataPlaneApp.Ct);
        List<SnapshotView> views = [];
        foreach (var snapshot in snapshots.EnumerateArray())
        {
            var id = snapshot.GetProperty("lake_snapshot_id").GetInt64();
            var changesMade = string.Join(",", snapshot.GetProperty("changes").EnumerateArray()
                .Select(c => c.GetProperty("kind").GetString() + ":" + c.GetProperty("value").GetString()));
            var at = $"&lake_snapshot_id={id}";
            var listing = await app.QueryRawAsync(tenant,
                "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema <> 'lineage' ORDER BY 1", at);
            if (listing.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                views.Add(new SnapshotView(id, StockChanges.FromChangesMade(changesMade), new Dictionary<string, IReadOnlyList<string>>(), Readable: false));
                continue;
            }
            var tables = (await listing.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct))
                .GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!).ToList();
            List<(string Table, string Json)> rows = [];
            if (tables.Count > 0)
            {
                var reply = await app.QueryAsync(tenant, string.Join(" UNION ALL ", tables.Select(t => $"SELECT '{t}' AS t, CAST(to_json(_dp_row) AS VARCHAR) AS j FROM {t} AS _dp_row")), at);
                Assert.False(reply.GetProperty("truncated").GetBoolean(), "the comparison needs every row; the test lake is too big for MaxRows");
                rows = reply.GetProperty("rows").EnumerateArray().Select(r => (r[0].GetString()!, r[1].GetString()!)).ToList();
            }
            views.Add(new SnapshotView(id, StockChanges.FromChangesMade(changesMade),
                tables.ToDictionary(t => t, t => (IReadOnlyList<string>)rows.Where(r => r.Table == t).Select(r => r.Json).Order(StringComparer.Ordinal).ToList())));
        }
        return new LakeView(views);
    }
}
