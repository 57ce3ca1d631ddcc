"""Runs one entry point of an MLflow project into an existing run.

What ``mlflow run URI -e ENTRY --run-id ID --env-manager M [--version V] -P k=v ...``
does, through the same ``mlflow.projects.run`` call, without importing MLflow's
command line: its plugins, tracking server and assistant modules cost about two
seconds of CPU at every start, as much as a small training job itself.

Exit codes: 0 the run finished; 1 it failed (the entry point's own output says
why); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys


def parameters(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            parser.error(f"-P {pair!r}: expected name=value")
        if name in found:
            parser.error(f"-P {name}: given twice")
        found[name] = value
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mlflow_project_run", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="the project: a directory or a Git URI")
    parser.add_argument("-e", "--entry-point", default="main")
    parser.add_argument("--run-id", required=True, help="the run the entry point logs into")
    parser.add_argument("--env-manager", default="local", choices=["local", "virtualenv", "uv", "conda"])
    parser.add_argument("--version", help="the Git commit or branch of a Git project")
    parser.add_argument("-P", dest="params", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    params = parameters(args.params, parser)

    from mlflow import projects
    from mlflow.exceptions import ExecutionException

    try:
        projects.run(
            args.uri,
            entry_point=args.entry_point,
            version=args.version,
            parameters=params,
            env_manager=args.env_manager,
            run_id=args.run_id,
            synchronous=True,
        )
    except ExecutionException as error:
        print(f"=== {error} ===", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
