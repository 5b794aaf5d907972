================================================= test session starts ==================================================
platform linux -- Python 3.11.7, pytest-8.4.2, pluggy-1.7.0
rootdir: /tmp/rec/pt
plugins: asyncio-1.5.0, platformdirs-4.14.9, xdist-3.8.0, textual-snapshot-1.1.0, syrupy-4.8.0, timeout-2.4.0, anyio-4.16.0, hypothesis-6.170.17
asyncio: mode=Mode.STRICT, debug=False, asyncio_default_fixture_loop_scope=None, asyncio_default_test_loop_scope=function
collected 32 items

test_demo.py ............F............F....sF                                                                    [100%]

======================================================= FAILURES =======================================================
___________________________________________________ test_numbers[12] ___________________________________________________

n = 12

    @pytest.mark.parametrize("n", range(30))
    def test_numbers(n):
>       assert n % 13 != 12
E       assert (12 % 13) != 12

test_demo.py:4: AssertionError
___________________________________________________ test_numbers[25] ___________________________________________________

n = 25

    @pytest.mark.parametrize("n", range(30))
    def test_numbers(n):
>       assert n % 13 != 12
E       assert (25 % 13) != 12

test_demo.py:4: AssertionError
______________________________________________________ test_text _______________________________________________________

    def test_text():
>       assert "abc".upper() == "ABD"
E       AssertionError: assert 'ABC' == 'ABD'
E
E         - ABD
E         + ABC

test_demo.py:8: AssertionError
=============================================== short test summary info ================================================
FAILED test_demo.py::test_numbers[12] - assert (12 % 13) != 12
FAILED test_demo.py::test_numbers[25] - assert (25 % 13) != 12
FAILED test_demo.py::test_text - AssertionError: assert 'ABC' == 'ABD'
======================================= 3 failed, 28 passed, 1 skipped in 0.82s ========================================
==================== screen

test_demo.py ............F............F....sF                                                                    [100%]

======================================================= FAILURES =======================================================
___________________________________________________ test_numbers[12] ___________________________________________________

n = 12

    @pytest.mark.parametrize("n", range(30))
    def test_numbers(n):
>       assert n % 13 != 12
E       assert (12 % 13) != 12

test_demo.py:4: AssertionError
___________________________________________________ test_numbers[25] ___________________________________________________

n = 25

    @pytest.mark.parametrize("n", range(30))
    def test_numbers(n):
>       assert n % 13 != 12
E       assert (25 % 13) != 12

test_demo.py:4: AssertionError
______________________________________________________ test_text _______________________________________________________

    def test_text():
>       assert "abc".upper() == "ABD"
E       AssertionError: assert 'ABC' == 'ABD'
E
E         - ABD
E         + ABC

test_demo.py:8: AssertionError
=============================================== short test summary info ================================================
FAILED test_demo.py::test_numbers[12] - assert (12 % 13) != 12
FAILED test_demo.py::test_numbers[25] - assert (25 % 13) != 12
FAILED test_demo.py::test_text - AssertionError: assert 'ABC' == 'ABD'
======================================= 3 failed, 28 passed, 1 skipped in 0.82s ========================================
