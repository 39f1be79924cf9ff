namespace Auraison.DataPlane.Tests.Retrieval;

/// <summary>
/// A few hundred job outcomes: templated routine runs, and needles whose paraphrased questions share few words with them.
/// </summary>
internal static class JobHistoryCorpus
{
    public sealed record Needle(string JobId, string Summary, string Question);

    public static readonly Needle[] Needles =
    [
        new("needle-oom", "Notebook job crashed: CUDA ran out of GPU memory while training the segmentation network",
            "which jupyter runs died because the graphics card memory was exhausted"),
        new("needle-collision", "ROS navigation trial: the robot collided with a chair in the kitchen and aborted",
            "robot bumped into furniture and stopped its route"),
        new("needle-s3", "Data loader stalled for two hours waiting on the S3 bucket, job timed out",
            "training stuck reading from object storage until it hit the time limit"),
        new("needle-nan", "Reward curve diverged after the learning rate warmup; loss became NaN",
            "optimization blew up and the loss turned into not-a-number"),
        new("needle-grasp", "Grasping policy picked up the red mug successfully in 9 of 10 attempts",
            "how often did the arm manage to lift the cup"),
        new("needle-segfault", "Simulation crashed because the Gazebo physics engine segfaulted",
            "simulator process died with a memory access violation"),
        new("needle-battery", "Battery dropped below 10 percent so the robot returned to its dock",
            "low charge made the machine go back to recharge"),
    ];

    private static readonly string[] Clusters = ["torch.dev.gpu", "torch.prod.gpu", "ros.sim", "ray.cpu"];
    private static readonly string[] Routine =
    [
        "completed the nightly evaluation sweep over the validation split",
        "exported model checkpoints to the registry",
        "ran the perception unit tests, all green",
        "rebuilt the docker image for the inference service",
        "synced experiment metadata to the tracking server",
        "generated the weekly metrics dashboard",
        "compressed old log archives",
        "benchmarked tokenizer throughput on the CPU pool",
        "updated the annotation schema for the labeling tool",
        "trained a small baseline for comparison, accuracy unchanged",
    ];

    public static IEnumerable<object> Records(int count = 240) =>
        Enumerable.Range(0, count).Select(i => (object)new
        {
            job_id = $"job-{i}",
            cluster = Clusters[i % Clusters.Length],
            status = i % 5 == 0 ? "failed" : "ok",
            summary = $"{Routine[i % Routine.Length]} (batch {i / Routine.Length})",
            completed_at = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i).ToString("O"),
        })
        .Concat(Needles.Select((n, i) => (object)new
        {
            job_id = n.JobId,
            cluster = i % 2 == 0 ? "torch.dev.gpu" : "ros.sim",
            status = "failed",
            summary = n.Summary,
            completed_at = new DateTimeOffset(2026, 11, 20, i, 0, 0, TimeSpan.Zero).ToString("O"),
        }));
}
