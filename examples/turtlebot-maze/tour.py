"""An agent's questions over the turtlebot-maze lake (run generate.py first).

    PYTHONPATH=../../clients/python python3 tour.py http://127.0.0.1:5080 --tenant maze
"""
import argparse
import json
import time

from auraison_dataplane import DataPlane


def show(title, rows):
    print(f"\n## {title}")
    for row in rows:
        print("  " + json.dumps(row, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--api-key")
    parser.add_argument("--tenant", default="maze")
    parser.add_argument("--no-export", action="store_true", help="skip the dataset export")
    args = parser.parse_args()
    plane, tenant = DataPlane(args.url, args.api_key), args.tenant
    answers = {}

    answers["success"] = plane.query("""
        SELECT robot_id, count(*) AS trials, round(avg(CASE WHEN success THEN 1 ELSE 0 END), 2) AS success_rate, round(avg(duration_s), 1) AS mean_s
        FROM event_log.ros_navigation_trials GROUP BY robot_id ORDER BY robot_id""", tenant_id=tenant)
    show("Which robots struggle? (SQL over the trials)", answers["success"])

    answers["seen_in_failures"] = plane.query("""
        SELECT d.label, count(*) AS detections, count(DISTINCT d.trial_id) AS failed_trials
        FROM event_log.object_detections d JOIN event_log.ros_navigation_trials t ON t.trial_id = d.trial_id
        WHERE NOT t.success AND d.confidence > 0.5 GROUP BY d.label ORDER BY detections DESC LIMIT 5""", tenant_id=tenant)
    show("What did the cameras see in failed trials? (detections joined to trials)", answers["seen_in_failures"])

    answers["video"] = plane.query("""
        SELECT d.trial_id, o.key, o.size_bytes, o.content_type FROM event_log.object_detections d
        JOIN objects.registry o ON o.key = d.video_chunk GROUP BY ALL ORDER BY d.trial_id LIMIT 3""", tenant_id=tenant)
    show("Where is the footage? (detections joined to the objects registry)", answers["video"])

    for _ in range(600):  # the traces are searchable once the indexer has embedded them (seconds after ingest)
        if plane.retrieval_status(tenant_id=tenant)["pending_requests"] == 0:
            break
        time.sleep(0.2)
    answers["similar_failures"] = plane.retrieve("navigation failed because the planner got stuck", tenant_id=tenant, top_k=3)
    show("Have we failed like this before? (retrieval over the agent's traces)", [{"score": h["score"], "text": h["text"]} for h in answers["similar_failures"]])

    snapshots = plane.snapshots(tenant_id=tenant, limit=1)
    if snapshots:
        checkpoint = snapshots[0]["snapshot_id"]
        answers["replay"] = plane.query("SELECT count(*) AS trials_known_then FROM event_log.ros_navigation_trials", tenant_id=tenant,
                                        as_of_snapshot=checkpoint)
        show(f"What did the world model know at decision {checkpoint}? (as_of_snapshot replay)", answers["replay"])

    if not args.no_export:
        dataset = plane.export_dataset({"tenant_id": tenant, "name": "maze-nav", "format": "lerobot", "fps": 2.5, "seed": 7,
                                        "splits": {"train": 0.8, "val": 0.2},
                                        "source": {"table": "event_log.nav_frames", "episode": "trial_id", "timestamp": "t", "task": "goal_text",
                                                   "features": {"observation.state": ["x", "y", "theta"], "action": ["v", "w"]}}})
        answers["dataset"] = {"status": dataset["status"], "location": dataset["location"], "files": len(dataset["files"])}
        show("Turn the trials into a LeRobot dataset for fine-tuning", [answers["dataset"]])
    return answers


if __name__ == "__main__":
    main()
