#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as error:
        # A failure the user can act on (database down, secrets unreadable, a setting
        # missing) ends in one line and exit status 1; anything else keeps its traceback.
        from common.commands import failure_in_one_line

        message = failure_in_one_line(error)
        if message is None or "--traceback" in sys.argv:
            raise
        sys.exit(f"Error: {message}")
