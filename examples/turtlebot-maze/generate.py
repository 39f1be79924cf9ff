"""Simulated days of the turtlebot-maze reference application, ingested through the Python client.

Robots run Nav2 navigation trials through a maze (goals, poses and velocity commands at 10 Hz, outcomes with the
failure reason), a YOLOv8 tracker reports detections on fMP4 video chunks (stored as objects), the navigation agent
leaves traces of what it decided and why, and the world model is checkpointed at each decision point.

    PYTHONPATH=../../clients/python python3 generate.py http://127.0.0.1:5080 --tenant maze --robots 3 --days 2
"""
import argparse
import datetime as dt
import random
import uuid

from auraison_dataplane import DataPlane

GOALS = {"kitchen": (4.0, 1.5), "dock": (0.0, 0.0), "lab door": (6.5, -2.0), "storage": (-3.0, 4.0), "hallway end": (9.0, 0.5)}
FAILURES = ["local planner stuck in the narrow passage by the shelf", "goal occupied by a person who did not move",
            "localisation lost after wheel slip on the ramp", "costmap blocked by a cart left in the corridor"]
CLASSES = ["person", "chair", "door", "cart", "shelf", "dog"]
FPS = 10


def trials(rng, robots, days, start):
    for day in range(days):
        for robot in range(robots):
            robot_id = f"tb{robot + 1}"
            at = start + dt.timedelta(days=day, hours=8 + robot)
            for n in range(rng.randint(4, 7)):
                goal = rng.choice(list(GOALS))
                failed = rng.random() < 0.3
                duration = round(rng.uniform(8, 30), 1)
                yield {"trial_id": f"{robot_id}-d{day}-{n:02d}", "robot_id": robot_id, "goal_text": f"go to the {goal}",
                       "goal": {"x": GOALS[goal][0], "y": GOALS[goal][1]}, "success": not failed, "duration_s": duration,
                       "failure_reason": rng.choice(FAILURES) if failed else None, "recoveries": rng.randint(1, 3) if failed else 0,
                       "started_at": at.isoformat()}
                at += dt.timedelta(minutes=rng.randint(3, 12))


def frames(rng, trial):
    """Poses and the velocity command at each 10 Hz tick, drifting toward the goal."""
    start = dt.datetime.fromisoformat(trial["started_at"])
    x, y, theta = 0.0, 0.0, 0.0
    gx, gy = trial["goal"]["x"], trial["goal"]["y"]
    for i in range(int(trial["duration_s"] * FPS / 4)):  # every fourth tick keeps the example small
        v, w = round(min(0.26, 0.05 + i * 0.01), 3), round(rng.uniform(-0.4, 0.4), 3)
        x, y, theta = x + (gx - x) * 0.05, y + (gy - y) * 0.05, theta + w / FPS
        yield {"trial_id": trial["trial_id"], "robot_id": trial["robot_id"], "t": (start + dt.timedelta(seconds=i * 4 / FPS)).isoformat(),
               "goal_text": trial["goal_text"], "x": round(x, 3), "y": round(y, 3), "theta": round(theta, 3), "v": v, "w": w}


def detections(rng, trial, chunk_key):
    start = dt.datetime.fromisoformat(trial["started_at"])
    for frame in range(0, int(trial["duration_s"] * 15), 15):
        for track in range(rng.randint(0, 3)):
            label = rng.choice(CLASSES)
            yield {"frame": frame, "label": label, "confidence": round(rng.uniform(0.35, 0.98), 3), "track_id": track,
                   "bbox": {"x": round(rng.random(), 3), "y": round(rng.random(), 3), "w": 0.1, "h": 0.2},
                   "robot_id": trial["robot_id"], "trial_id": trial["trial_id"], "video_chunk": chunk_key,
                   "seen_at": (start + dt.timedelta(seconds=frame / 15)).isoformat()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--api-key")
    parser.add_argument("--tenant", default="maze")
    parser.add_argument("--robots", type=int, default=3)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    plane = DataPlane(args.url, args.api_key)
    start = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)

    all_trials = list(trials(rng, args.robots, args.days, start))
    plane.ingest("event_log.ros_navigation_trials", all_trials, tenant_id=args.tenant, job_id="nav2-sim")
    plane.ingest("event_log.nav_frames", (f for trial in all_trials for f in frames(rng, trial)), tenant_id=args.tenant, job_id="nav2-sim")
    for trial in all_trials:
        chunk_key = f"videos/{trial['robot_id']}/{trial['trial_id']}/chunk-0000.mp4"
        plane.upload_object(chunk_key, b"\x00\x00\x00\x18ftypiso6" + rng.randbytes(2048), tenant_id=args.tenant, content_type="video/mp4",
                            metadata={"robot_id": trial["robot_id"], "trial_id": trial["trial_id"]}, job_id="yolov8-tracker")
        plane.ingest("event_log.object_detections", list(detections(rng, trial, chunk_key)), tenant_id=args.tenant, job_id="yolov8-tracker")
        intent = str(uuid.uuid5(uuid.NAMESPACE_URL, trial["trial_id"]))
        verdict = f"trial {trial['trial_id']} failed: {trial['failure_reason']}" if not trial["success"] else f"trial {trial['trial_id']} reached {trial['goal_text'][6:]}"
        plane.ingest("event_log.agent_traces", [{"trace_id": trial["trial_id"], "agent_role": "navigator", "intent_id": intent, "step": 1,
                                                 "text": verdict, "occurred_at": trial["started_at"]}], tenant_id=args.tenant, job_id="nav-agent")
        if not trial["success"]:
            plane.snapshot(tenant_id=args.tenant, intent_id=intent, timestamp=trial["started_at"], snapshot_id=str(uuid.uuid5(uuid.NAMESPACE_OID, trial["trial_id"])),
                           agents_active=[{"role": "navigator", "status": "replanning", "tool_call_count": trial["recoveries"]}],
                           user_plane={"ros": {"jobs_in_flight": 1, "gpu_util": 0.4}},
                           causal_chain=[{"intent_id": intent, "job_id": trial["trial_id"], "outcome": "failed"}])
    print(f"{len(all_trials)} trials of {args.robots} robots over {args.days} days ingested for tenant {args.tenant}")


if __name__ == "__main__":
    main()
