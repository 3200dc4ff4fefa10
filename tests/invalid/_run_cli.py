"""Run the real CLI (``eks_templates.cli.main``, what ``python -m eks_templates`` calls)
once per stack file inside ONE Python process, so the corpus test pays Python's
start-up once. Usage: ``python _run_cli.py FILE OUT_DIR [FILE OUT_DIR ...]``; prints a
JSON list of {file, code, stdout, stderr}. An uncaught exception is printed to the
captured stderr as Python would print it (with "Traceback"), exit code 1.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback


def run_one(argv: list[str]) -> dict[str, object]:
    from eks_templates.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> int:
    args = sys.argv[1:]
    results = []
    for file, out_dir in zip(args[::2], args[1::2], strict=True):
        result = run_one(["render", file, "--out-dir", out_dir])
        result["file"] = file
        results.append(result)
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
