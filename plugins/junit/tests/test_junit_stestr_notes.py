"""stestr's (subunit2junitxml's) failures carry no message attribute: the note is the
exception line of the traceback, with the values testtools writes below a ``!=:``."""

from gatekeeper_junit.notes import summary

KIND = "testtools.testresult.real._StringException"


def test_a_mismatch_keeps_the_values_written_below_it() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "tempest/api/compute/test_servers.py", line 41, in test_x\n'
        "    self.assertEqual(expected, server['status'])\n"
        "testtools.matchers._impl.MismatchError: !=:\n"
        "reference = 'ACTIVE'\n"
        "actual    = 'ERROR'\n"
    )
    assert summary(None, KIND, text) == (
        "testtools.matchers._impl.MismatchError: !=: reference = 'ACTIVE' actual = 'ERROR'"
    )


def test_the_last_of_chained_tracebacks_is_the_exception() -> None:
    text = (
        "Traceback (most recent call last):\n"
        "  File \"a.py\", line 1, in f\n    x()\nKeyError: 'k'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "b.py", line 2, in g\n    raise ValueError("bad value")\n'
        "ValueError: bad value\n"
    )
    assert summary(None, KIND, text) == "ValueError: bad value"


def test_captured_logs_after_the_traceback_are_not_the_message() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "a.py", line 1, in f\n    raise ValueError("boom")\n'
        "ValueError: boom\n\n"
        "_StringException: pythonlogging:'': {{{\nDEBUG after\n}}}\n"
    )
    assert summary(None, KIND, text) == "ValueError: boom"
