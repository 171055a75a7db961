"""The real bubblewrap sandbox running python checks: what passes, what fails and why, and
that nothing of a run stays on the host. The attacks are in test_sandbox_security.py."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

from evalkit.checks import BwrapSandbox, PythonCheck, run_check

SOLUTION = "```python\ndef add(a, b):\n    return a + b\n```"


def python_check(code: str, timeout: float = 5) -> PythonCheck:
    return PythonCheck(id="c", kind="python", severity="major", code=code, timeout=timeout)


def test_a_check_that_exits_0_passes(bwrap: BwrapSandbox) -> None:
    result = run_check(
        python_check("from solution import add\nassert add(2, 2) == 4"), SOLUTION, bwrap
    )
    assert (result.passed, result.detail) == (True, "exit 0")
    assert 0 < result.duration_ms < 5000


def test_a_failing_assert_fails_with_the_traceback_of_check_py(bwrap: BwrapSandbox) -> None:
    code = "from solution import add\n\nassert add(2, 2) == 5, 'add is wrong'"
    result = run_check(python_check(code), SOLUTION, bwrap)
    assert result.passed is False
    assert result.detail.startswith("exit 1\noutput:\nTraceback (most recent call last):\n")
    assert 'File "/work/check.py", line 3, in <module>' in result.detail
    assert result.detail.endswith("AssertionError: add is wrong")


def test_a_nonzero_exit_fails_with_its_code(bwrap: BwrapSandbox) -> None:
    result = run_check(python_check("import sys\nsys.exit(3)"), SOLUTION, bwrap)
    assert (result.passed, result.detail) == (False, "exit 3")


def test_sys_exit_0_in_check_py_passes_as_unittest_main_does(bwrap: BwrapSandbox) -> None:
    code = (
        "import unittest\nfrom solution import add\n"
        "class T(unittest.TestCase):\n    def test_add(self):\n"
        "        self.assertEqual(add(1, 2), 3)\n"
        "unittest.main()\n"
    )
    result = run_check(python_check(code), SOLUTION, bwrap)
    assert result.passed is True
    assert "Ran 1 test" in result.detail


def test_an_answer_that_exits_0_on_import_does_not_pass(bwrap: BwrapSandbox) -> None:
    """An unguarded `sys.exit(main())` in the answer would otherwise skip the asserts."""
    answer = "```python\nimport sys\ndef add(a, b):\n    return a - b\nsys.exit(0)\n```"
    result = run_check(
        python_check("from solution import add\nassert add(2, 2) == 4"), answer, bwrap
    )
    assert result.passed is False
    assert "solution.py exited (SystemExit(0)) while the check ran" in result.detail


def test_os_exit_0_is_not_a_pass(bwrap: BwrapSandbox) -> None:
    answer = "```python\nimport os\nos._exit(0)\n```"
    result = run_check(python_check("import solution\nassert False"), answer, bwrap)
    assert result.passed is False
    assert "not a pass" in result.detail


def test_the_work_dir_and_tmp_are_writable_and_the_files_are_there(bwrap: BwrapSandbox) -> None:
    code = (
        "import os\nassert os.getcwd() == '/work'\n"
        "assert sorted(os.listdir('.')) == ['check.py', 'solution.py'], os.listdir('.')\n"
        "open('out.txt', 'w').write('x')\nopen('/tmp/t.txt', 'w').write('y')\n"
    )
    assert run_check(python_check(code), SOLUTION, bwrap).passed is True


def test_check_code_has_the_standard_library_only(bwrap: BwrapSandbox) -> None:
    code = "import json, sqlite3, subprocess\ntry:\n    import pydantic\n"
    code += "except ImportError:\n    pass\nelse:\n    raise SystemExit('site-packages visible')\n"
    assert run_check(python_check(code), SOLUTION, bwrap).passed is True


def test_huge_output_is_cut_to_its_last_lines(bwrap: BwrapSandbox) -> None:
    code = "for i in range(200_000):\n    print('line', i)\nraise SystemExit(1)"
    result = run_check(python_check(code), SOLUTION, bwrap)
    assert result.passed is False
    assert "output (last 15 lines of" in result.detail
    assert result.detail.endswith("line 199999")
    assert len(result.detail) < 2000


def test_the_staging_dir_is_deleted_after_the_run(
    bwrap: BwrapSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run_check(python_check("import solution"), SOLUTION, bwrap)
    run_check(python_check("while True: pass", timeout=1), SOLUTION, bwrap)
    assert list(tmp_path.iterdir()) == []


def test_the_interpreter_is_the_one_running_evalkit(bwrap: BwrapSandbox) -> None:
    version = ".".join(map(str, sys.version_info[:2]))
    code = f"import sys\nassert '.'.join(map(str, sys.version_info[:2])) == {version!r}"
    assert run_check(python_check(code), SOLUTION, bwrap).passed is True
