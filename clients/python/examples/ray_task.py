"""A Ray task that stores what it produced when it finishes: detections as rows, the video chunk as an object.

    PYTHONPATH=. python3 examples/ray_task.py http://127.0.0.1:5080   # on Ray when it is installed, else in this process
"""
import datetime
import os
import sys

from auraison_dataplane import DataPlane

try:
    import ray
except ImportError:
    ray = None


def detect(url: str, api_key: str, job_id: str, tenant: str = "acme") -> dict:
    """Stand-in for a YOLO pass over one chunk: the rows and the chunk it ran on, stored on completion."""
    plane = DataPlane(url, api_key)
    chunk_key = f"videos/{job_id}/chunk-0001.mp4"
    plane.upload_object(chunk_key, b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096), tenant_id=tenant, content_type="video/mp4",
                        metadata={"robot_id": "r1", "kind": "video"}, job_id=job_id)
    now = datetime.datetime.now(datetime.timezone.utc)
    detections = [{"frame": i, "label": "person" if i % 3 else "door", "confidence": 0.5 + i / 40, "robot_id": "r1",
                   "video_chunk": chunk_key, "seen_at": now} for i in range(12)]
    return plane.ingest("event_log.object_detections", detections, tenant_id=tenant, job_id=job_id)


if __name__ == "__main__":
    base, key = sys.argv[1], os.environ.get("DATAPLANE_API_KEY", "")
    if ray is not None:
        ray.init()
        reply = ray.get(ray.remote(detect).remote(base, key, "ray-detect-1"))
    else:
        reply = detect(base, key, "ray-detect-1")
    print(reply)
