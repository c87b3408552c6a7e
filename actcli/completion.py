"""Shell completion scripts for bash, zsh and fish (`actcli completion SHELL`).

A static script made from the command tree the CLI hands in (a click group: its commands, their
options, the choices of options such as `--format`), plus one dynamic call: activation names
come from `actcli list --format text` when the user presses Tab, so user specs on
ACTCLI_SPEC_PATH are completed too. Typer's own completion (`add_completion=True`) is not used:
it adds to the start-up time of every command.

Nothing is imported: the group is read through its attributes (`commands`, `params`, `opts`).
"""

from __future__ import annotations

import shlex
from typing import Any

SHELLS = ("bash", "zsh", "fish")
# Arguments that name activations (completed with `actcli list --format text`, and files).
ACTIVATION_ARGUMENTS = ("activation", "activations", "arguments")
HELP = ("--help", "-h")
NAMES = "actcli list --format text 2>/dev/null"


def script(group: Any, shell: str, prog: str = "actcli") -> str:
    """The completion script for `shell` of the click group `group` (the CLI's root)."""
    commands = _commands(group)
    if shell == "fish":
        return _fish(group, commands, prog)
    return _bash(group, commands, prog, zsh=shell == "zsh")


def _commands(group: Any) -> dict[str, Any]:
    return {
        name: command
        for name, command in group.commands.items()
        if not getattr(command, "hidden", False)
    }


def _options(command: Any) -> list[Any]:
    return [param for param in command.params if param.param_type_name == "option"]


def _names(param: Any) -> list[str]:
    return [*param.opts, *param.secondary_opts]


def _flags(command: Any) -> list[str]:
    """Every option of a command, its help options included."""
    flags = [flag for param in _options(command) for flag in _names(param)]
    return [*flags, *(flag for flag in HELP if flag not in flags)]


def _choices(param: Any) -> list[str]:
    return [str(choice) for choice in getattr(param.type, "choices", None) or ()]


def _takes_activations(command: Any) -> bool:
    return any(
        param.param_type_name == "argument" and param.name in ACTIVATION_ARGUMENTS
        for param in command.params
    )


def _words(words: list[str]) -> str:
    return shlex.quote(" ".join(words))


def _bash(group: Any, commands: dict[str, Any], prog: str, zsh: bool) -> str:
    function = f"_{prog.replace('-', '_')}_completion"
    top = [*commands, *_flags(group)]
    option_cases = []
    choice_cases = []
    for name, command in commands.items():
        options = _flags(command)
        option_cases.append(f"        {shlex.quote(name)}) options={_words(options)} ;;")
        for param in _options(command):
            choices = _choices(param)
            if choices:
                pattern = "|".join(f"{shlex.quote(name)}:{flag}" for flag in _names(param))
                choice_cases.append(f"        {pattern}) words={_words(choices)} ;;")
    with_names = "|".join(shlex.quote(n) for n, c in commands.items() if _takes_activations(c))
    lines = [
        f"# {prog} completion for {'zsh' if zsh else 'bash'}: "
        f'eval "$({prog} completion {"zsh" if zsh else "bash"})"',
    ]
    if zsh:
        lines += ["autoload -U +X bashcompinit && bashcompinit"]
    lines += [
        f"{function}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local command="" word options="" words="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        '        case "$word" in -*) ;; *) command="$word"; break ;; esac',
        "    done",
        '    if [ -z "$command" ]; then',
        f'        COMPREPLY=($(compgen -W {_words(top)} -- "$cur"))',
        "        return",
        "    fi",
        '    case "$command:$prev" in',
        *choice_cases,
        "    esac",
        '    if [ -n "$words" ]; then',
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "        return",
        "    fi",
        '    case "$command" in',
        *option_cases,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$options" -- "$cur"))',
        "        return",
        "    fi",
        '    case "$command" in',
        f'        help) COMPREPLY=($(compgen -W {_words(list(commands))} -- "$cur")) ;;',
        f'        completion) COMPREPLY=($(compgen -W {_words(list(SHELLS))} -- "$cur")) ;;',
    ]
    if with_names:
        lines += [
            f"        {with_names})",
            f'            COMPREPLY=($(compgen -W "$({NAMES})" -- "$cur") '
            '$(compgen -f -- "$cur")) ;;',
        ]
    lines += [
        '        *) COMPREPLY=($(compgen -f -- "$cur")) ;;',
        "    esac",
        "}",
        f"complete -o default -F {function} {prog}",
        "",
    ]
    return "\n".join(lines)


def _fish(group: Any, commands: dict[str, Any], prog: str) -> str:
    lines = [f"# {prog} completion for fish: {prog} completion fish | source"]
    lines.append(f"complete -c {prog} -f")
    for name, command in commands.items():
        summary = _summary(command)
        lines.append(
            f"complete -c {prog} -n __fish_use_subcommand -a {shlex.quote(name)}"
            f" -d {shlex.quote(summary)}"
        )
    for param in _options(group):
        lines.append(f"complete -c {prog} -n __fish_use_subcommand{_fish_flags(param)}")
    for name, command in commands.items():
        seen = f"-n {shlex.quote(f'__fish_seen_subcommand_from {name}')}"
        for param in _options(command):
            lines.append(f"complete -c {prog} {seen}{_fish_flags(param)}")
        if _takes_activations(command):
            lines.append(f"complete -c {prog} {seen} -F -a {shlex.quote(f'({NAMES})')}")
        elif name == "help":
            lines.append(f"complete -c {prog} {seen} -a {_words(list(commands))}")
        elif name == "completion":
            lines.append(f"complete -c {prog} {seen} -a {_words(list(SHELLS))}")
        else:
            lines.append(f"complete -c {prog} {seen} -F")
    return "\n".join(lines) + "\n"


def _fish_flags(param: Any) -> str:
    flags = ""
    for flag in _names(param):
        if flag.startswith("--"):
            flags += f" -l {shlex.quote(flag[2:])}"
        else:
            flags += f" -s {shlex.quote(flag[1:])}"
    choices = _choices(param)
    if choices:
        flags += f" -x -a {_words(choices)}"
    elif not getattr(param, "is_flag", False):
        flags += " -r"
    help_text = " ".join((getattr(param, "help", None) or "").split())
    if help_text:
        flags += f" -d {shlex.quote(help_text[:80])}"
    return flags


def _summary(command: Any) -> str:
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return " ".join(text.split()).split(". ")[0][:80]
