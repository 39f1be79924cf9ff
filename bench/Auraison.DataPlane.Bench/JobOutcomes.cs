using System.Text.Json;

namespace Auraison.DataPlane.Bench;

/// <summary>Deterministic job outcomes with free text, and questions an agent might ask about them in other words.</summary>
internal static class JobOutcomes
{
    private static readonly string[] Robots = ["atlas-3", "spot-7", "ur5-arm", "franka-2", "turtlebot-9", "husky-4"];
    private static readonly string[] Clusters = ["ros.sim", "ros.real", "ray.cpu", "torch.gpu"];
    private static readonly string[] Objects = ["red mug", "cardboard box", "screwdriver", "water bottle", "apple", "tote bin"];
    private static readonly string[] Places = ["kitchen", "warehouse aisle 4", "loading dock", "lab bench", "hallway", "charging station"];
    private static readonly string[] Statuses = ["succeeded", "failed", "timed out", "was aborted"];
    private static readonly string[] Tasks =
        ["pick-and-place of the {0}", "navigation to the {1}", "door opening near the {1}", "shelf scan in the {1}", "grasp training with the {0}", "inspection of the {1}"];
    private static readonly string[] Reasons =
    [
        "the gripper slipped on the {0}", "lidar returned no points near the {1}", "the battery ran low", "localization drifted by 40 cm",
        "a person blocked the path", "the planner found no collision-free path", "camera exposure was too dark",
        "CUDA ran out of memory during inference", "the arm hit its joint limit", "all checks passed",
    ];
    private static readonly string[] Questions =
    [
        "the hand lost its hold on the {0}", "robot could not plan a route through the {1}", "perception model exhausted graphics card memory",
        "power nearly empty during the {1} run", "someone stood in the robot's way", "position estimate wandered off in the {1}",
        "images were underexposed at the {1}", "manipulator reached the end of its joint range", "laser scanner saw nothing around the {1}",
        "everything worked when handling the {0}",
    ];

    public static string Summary(long i)
    {
        var (thing, place) = (Objects[i / 7 % Objects.Length], Places[i / 11 % Places.Length]);
        return $"{Robots[i % Robots.Length]} {string.Format(null, Tasks[i / 3 % Tasks.Length], thing, place)} {Statuses[i / 5 % Statuses.Length]} " +
               $"after {1 + i % 9} attempts: {string.Format(null, Reasons[i / 13 % Reasons.Length], thing, place)}";
    }

    public static string Status(long i) => Statuses[i / 5 % Statuses.Length];

    public static string Cluster(long i) => Clusters[i % Clusters.Length];

    /// <summary>The text the service embeds for the row, rendered by main.job_outcomes' default template.</summary>
    public static string Rendered(long i) => $"Job job-{i} on {Cluster(i)} {Status(i)}: {Summary(i)}";

    public static string Records(IEnumerable<long> indexes) => JsonSerializer.Serialize(indexes.Select(i => new Dictionary<string, object>
    {
        ["job_id"] = $"job-{i}", ["cluster"] = Cluster(i), ["status"] = Status(i), ["summary"] = Summary(i),
        ["completed_at"] = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 13).ToString("O"),
    }));

    public static string Question(int q) => string.Format(null, Questions[q % Questions.Length], Objects[q / 3 % Objects.Length], Places[q / 2 % Places.Length]);
}
