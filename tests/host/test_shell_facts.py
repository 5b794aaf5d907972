"""What a job is doing, in ``bgview shell``: a job waiting for input is told above the
prompt as it begins to wait, the toolbar chip counts it (``· 1 waiting``), ``:bg-list``
shows it and where a server listens. Real jobs in a real shell in a real pty."""

from __future__ import annotations

from tests.support import free_port
from tests.term import Term


def test_a_job_waiting_for_input_is_told_counted_and_listed(shell: Term) -> None:
    shell.wait_for("⚙ 0 Background Jobs")
    shell.run("read -p 'Continue? [y/N] ' answer &")
    # Told while it waits (nothing else happens in the store meanwhile): 3 s quiet + 1 s.
    shell.wait_for('[bg:bash_1 waiting for input: "Continue? [y/N]', timeout=10)
    shell.wait_for("⚙ 1 Background Job · 1 waiting")
    shell.run(":bg-list")
    lines = shell.wait_for(lambda ls: any(ln.startswith("bash_1") for ln in ls))
    row = next(ln for ln in lines if ln.startswith("bash_1"))
    assert "⌨ input" in row, row


def test_bg_list_shows_where_a_server_listens(shell: Term) -> None:
    port = free_port()
    shell.run(f"python3 -m http.server {port} --bind 127.0.0.1 &")
    shell.wait_for("⚙ 1 Background Job ")
    shell.run(":bg-list")

    def row_with_port(lines: list[str]) -> bool:
        return any(ln.startswith("bash_1") and str(port) in ln for ln in lines)

    # The port is a fact within a second of listening; list again until it is in.
    for _ in range(10):
        try:
            shell.wait_for(row_with_port, timeout=1)
            break
        except AssertionError:
            shell.run(":bg-list")
    else:
        raise AssertionError(f"no row of bash_1 shows port {port}:\n" + "\n".join(shell.lines()))
