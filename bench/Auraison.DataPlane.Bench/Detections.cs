using System.Globalization;
using System.Text;

namespace Auraison.DataPlane.Bench;

/// <summary>Deterministic robot detections, 12 typed columns.</summary>
internal static class Detections
{
    public const string DuckDbColumns =
        "{'frame': 'BIGINT', 'label': 'VARCHAR', 'confidence': 'DOUBLE', 'bbox': 'STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)', " +
        "'robot_id': 'VARCHAR', 'seen_at': 'TIMESTAMPTZ', 'camera': 'VARCHAR', 'depth_m': 'DOUBLE', 'track_id': 'BIGINT', " +
        "'occluded': 'BOOLEAN', 'model': 'VARCHAR', 'latency_ms': 'DOUBLE'}";

    private static readonly string[] Labels = ["person", "cup", "chair", "door", "robot", "box", "table", "bottle"];
    private static readonly string[] Cameras = ["front", "rear", "left", "right"];
    private static readonly string[] Models = ["yolo-v9", "detr-r50", "rtm-det"];

    /// <summary>Record <paramref name="index"/> as one NDJSON line.</summary>
    public static string Line(long index)
    {
        var random = new Random((int)(index * 2654435761 % int.MaxValue));
        var seen = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(index * 37);
        var builder = new StringBuilder(256);
        builder.Append(CultureInfo.InvariantCulture,
            $"{{\"frame\":{index},\"label\":\"{Labels[index % Labels.Length]}\",\"confidence\":{random.NextDouble():F4},");
        builder.Append(CultureInfo.InvariantCulture,
            $"\"bbox\":{{\"x\":{random.NextDouble():F3},\"y\":{random.NextDouble():F3},\"w\":{random.NextDouble():F3},\"h\":{random.NextDouble():F3}}},");
        builder.Append(CultureInfo.InvariantCulture,
            $"\"robot_id\":\"r{index % 17}\",\"seen_at\":\"{seen:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"camera\":\"{Cameras[index % 4]}\",");
        builder.Append(CultureInfo.InvariantCulture,
            $"\"depth_m\":{random.NextDouble() * 10:F3},\"track_id\":{index / 30},\"occluded\":{(random.Next(4) == 0 ? "true" : "false")},");
        builder.Append(CultureInfo.InvariantCulture, $"\"model\":\"{Models[index % 3]}\",\"latency_ms\":{random.NextDouble() * 40:F2}}}");
        return builder.ToString();
    }

    public static string Batch(long start, int count) => "[" + string.Join(",", Enumerable.Range(0, count).Select(i => Line(start + i))) + "]";

    public static string Ndjson(long start, long count)
    {
        var builder = new StringBuilder();
        for (var i = 0L; i < count; i++) builder.Append(Line(start + i)).Append('\n');
        return builder.ToString();
    }
}
