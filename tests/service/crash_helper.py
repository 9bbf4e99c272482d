"""Run as a subprocess by test_publisher: approve a comment, then stop at a point and wait to be SIGKILLed.

    python -m tests.service.crash_helper PROJECT RULES COMMENT_ID after-commit|after-write
"""

from __future__ import annotations

import sys
import time

from cluetrain import content_format
from comments_service import create_app
from comments_service.moderation import approve


def main(project: str, rules: str, comment_id: str, stop_at: str) -> None:
    config = {"PROJECT_ROOT": project, "RULES_FILE": rules, "PUBLISH_POLL_SECONDS": 0}
    if stop_at == "after-commit":
        config["PUBLISH_ON_COMMIT"] = False  # the publisher never runs: killed between commit and write
    else:
        real_write = content_format.write_comment

        def write_then_stop(root, comment):
            path = real_write(root, comment)
            print("written", flush=True)
            time.sleep(60)  # killed here: file on disk, database not yet told
            return path

        content_format.write_comment = write_then_stop
    app = create_app(config)
    runtime = app.extensions["cluetrain"]
    with app.app_context():
        with runtime.database.write() as session:
            approve(session, comment_id, "moderator:crash-test")
        print("committed", flush=True)
        runtime.after_moderation()
    time.sleep(60)


if __name__ == "__main__":
    main(*sys.argv[1:])
