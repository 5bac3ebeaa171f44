"""Every command the README (and bench/README.md, docs/) shows runs as written on a fresh clone.

Generated from the documents: each line of a ``sh`` code block, and each code line or inline
code span that starts like a command (``./…``, ``python``, ``manage.py``, ``docker``…), must
take a known form: ``./run SUB`` with SUB one of the commands ``./run help`` lists (and for
``./run manage`` a management command that exists, for ``./run bench`` a bench that
exists), ``docker compose`` with services of docker-compose.yml, ``git``, or a system
prerequisite. A ``./manage.py …`` or ``.venv/bin/python …`` line added tomorrow fails here.
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
# First words that make a code span or line a command to check.
COMMAND_WORDS = {
    "python",
    "python3",
    "manage.py",
    "pip",
    "pip3",
    "celery",
    "pytest",
    "docker",
    "docker-compose",
    "git",
    "npm",
    "npx",
    "apt-get",
    "apt",
    "brew",
    "export",
    "source",
    "sudo",
    "redis-server",
    "pg_ctlcluster",
    "gunicorn",
    "make",
}
# System prerequisites and CI, which work as written where they apply.
SYSTEM_FORMS = [("apt-get", "install"), ("brew", "install"), ("npm", "ci"), (".ci/run",)]
ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=\S*")


def run_subcommands() -> set[str]:
    """The subcommands ``./run help`` lists, one per line: ``  ./run NAME …``."""
    out = subprocess.run(["./run", "help"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return set(re.findall(r"^\s+\./run (\w+)", out.stdout, re.M))


def run_benches() -> set[str]:
    out = subprocess.run(["./run", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return set(re.findall(r"^\s+(\w+)$", out.stderr, re.M))


def compose_services() -> set[str]:
    compose = YAML(typ="safe", pure=True).load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return set(compose["services"])


def words(command: str) -> list[str]:
    """The words of a command, leading VAR=value assignments and placeholders' brackets kept."""
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def command_words(command: str) -> list[str]:
    """The words of a command without its leading VAR=value assignments."""
    tokens = words(command)
    while tokens and ASSIGNMENT.fullmatch(tokens[0]):
        tokens.pop(0)
    return tokens


def is_command(text: str, *, inline: bool = False) -> bool:
    """Whether ``text`` is a command to check; in prose, one word (`./run`, `redis-server`) or
    `docker compose` alone names a tool rather than showing a command."""
    tokens = command_words(text)
    if not tokens or (inline and (len(tokens) < 2 or tokens == ["docker", "compose"])):
        return False
    first = tokens[0]
    return (
        first in COMMAND_WORDS
        or first.startswith(("./", ".venv/"))
        or first == ".ci/run"
        or first.endswith("manage.py")
    )


def document_commands() -> list[tuple[str, str]]:
    """(where, command) for every command shown in the documents."""
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        fences = list(re.finditer(r"^```([\w-]*)\n(.*?)^```", text, re.M | re.S))
        for fence in fences:
            language, body = fence.group(1).lower(), fence.group(2)
            if language not in SHELL_LANGUAGES and language != "":
                continue
            line_no = text[: fence.start()].count("\n") + 2
            for offset, line in enumerate(body.splitlines()):
                line = line.strip().removeprefix("$ ")
                if not line or line.startswith("#"):
                    continue
                if language in SHELL_LANGUAGES or is_command(line):
                    found.append((f"{name}:{line_no + offset}", line))
        prose = text
        for fence in reversed(fences):
            prose = prose[: fence.start()] + "\n" * fence.group(0).count("\n") + prose[fence.end() :]
        for span in re.finditer(r"`([^`]+)`", prose):
            command = " ".join(span.group(1).split())  # a span may wrap over two lines
            if is_command(command, inline=True):
                found.append((f"{name}:{prose[: span.start()].count(chr(10)) + 1}", command))
    return found


COMMANDS = document_commands()


def problem(
    command: str, subcommands: set[str], benches: set[str], services: set[str], management: set[str]
) -> str | None:
    tokens = command_words(command)
    placeholder = re.compile(r"[A-ZÀ-Ü_]{2,}")  # ./run manage COMMANDE, ./run bench NOM
    if tokens[:1] == ["./run"]:
        sub = tokens[1] if len(tokens) > 1 else ""
        if sub not in subcommands:
            return f"« ./run {sub} » n'est pas une commande de ./run ({', '.join(sorted(subcommands))})"
        if sub == "manage" and (
            len(tokens) < 3 or not (tokens[2] in management or placeholder.fullmatch(tokens[2]))
        ):
            return f"« {' '.join(tokens[2:3])} » n'est pas une commande de manage.py"
        if (
            sub == "bench"
            and len(tokens) > 2
            and not (tokens[2] in benches or placeholder.fullmatch(tokens[2]))
        ):
            return f"« {tokens[2]} » n'est pas un banc ({', '.join(sorted(benches))})"
        return None
    if tokens[:2] == ["docker", "compose"]:
        if len(tokens) < 3:
            return "docker compose sans sous-commande"
        positional, skip = [], False
        for token in tokens[3:]:
            if skip:
                skip = False
            elif token in ("-e", "--env", "-w", "--workdir", "-u", "--user"):
                skip = True
            elif not token.startswith("-"):
                positional.append(token)
        if tokens[2] in ("run", "exec"):
            if not positional or positional[0] not in services:
                return f"« docker compose {tokens[2]} » sans service de docker-compose.yml"
        elif tokens[2] in ("up", "start", "stop", "restart", "logs", "build", "pull"):
            if set(positional) - services:
                return f"services inconnus de docker-compose.yml : {sorted(set(positional) - services)}"
        return None
    if tokens[:1] == ["git"]:
        return None
    for form in SYSTEM_FORMS:
        if tuple(tokens[: len(form)]) == form:
            return None
    return (
        "ne marche pas tel quel sur un clone neuf : écrivez « ./run … » (./run manage, "
        "./run bench…), « docker compose … » ou « git … »"
    )


@pytest.fixture(scope="module")
def known():
    return run_subcommands(), run_benches(), compose_services(), set(get_commands())


def test_the_documents_show_commands():
    assert len(COMMANDS) >= 20, COMMANDS
    assert any(c.startswith("./run bench ") for _, c in COMMANDS)
    assert any(c.startswith("./run manage ") for _, c in COMMANDS)


def test_run_help_lists_its_commands(known):
    subcommands, benches, _, _ = known
    assert {"demo", "test", "manage", "bench", "worker", "help"} <= subcommands
    assert {"payments_page", "import_lines", "attestations"} <= benches


@pytest.mark.parametrize(("where", "command"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_every_command_shown_runs_as_written(known, where, command):
    assert problem(command, *known) is None, f"{where} : `{command}` : {problem(command, *known)}"


@pytest.mark.parametrize(
    "command",
    [
        "./manage.py seed_demo",
        "python manage.py check",
        ".venv/bin/python -W ignore -m bench.attestations",
        "DEBUG=1 python -m bench.payments_page",
        "./run tests",
        "./run manage seed_demoo",
        "./run bench nope",
        "docker compose run --rm nosuch python manage.py check",
        "pytest -x",
        "export DATABASE_URL=postgres://x",
    ],
)
def test_the_check_refuses_what_a_fresh_clone_cannot_run(known, command):
    assert is_command(command)
    assert problem(command, *known)


def test_every_subcommand_of_run_answers():
    """Each subcommand ./run help lists is handled by ./run (not the unknown-command branch)."""
    out = subprocess.run(["./run", "nosuch"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "Commande inconnue" in out.stderr
    script = (ROOT / "run").read_text(encoding="utf-8")
    handled = set(re.findall(r"^  ([\w |-]+)\)$", script, re.M))
    handled = {name.strip() for case in handled for name in case.split("|")}
    assert run_subcommands() <= handled
