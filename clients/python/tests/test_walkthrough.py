"""The turtlebot-maze walkthrough (examples/turtlebot-maze) runs end to end and answers every question."""
import pathlib
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "turtlebot-maze"


def test_the_walkthrough_generates_a_maze_lake_and_the_tour_answers_every_question(base_url, tenant):
    env = {"PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    subprocess.run([sys.executable, "generate.py", base_url, "--tenant", tenant, "--robots", "2", "--days", "1"], cwd=EXAMPLE, env=env, check=True)
    sys.path.insert(0, str(EXAMPLE))
    sys.argv = ["tour.py", base_url, "--tenant", tenant]
    import tour

    answers = tour.main()

    assert sum(r["trials"] for r in answers["success"]) >= 8
    assert answers["video"] and answers["video"][0]["content_type"] == "video/mp4"
    assert "failed" in answers["similar_failures"][0]["text"]
    assert answers["replay"][0]["trials_known_then"] > 0
    assert answers["dataset"]["status"] == "succeeded" and answers["dataset"]["files"] == 5
