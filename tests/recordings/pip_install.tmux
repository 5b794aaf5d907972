Looking in indexes: https://pypi.org/simple, file:///opt/pypi/simple, file:///opt/pypi-more/simple
Looking in links: /opt/wheels
WARNING: Location 'file:///opt/pypi-more/simple/rich/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/rich-15.0.0-py3-none-any.whl
WARNING: Location 'file:///opt/pypi-more/simple/markdown-it-py/' is ignored: it is neither a file nor a directory.
Collecting markdown-it-py>=2.2.0 (from rich)
  Downloading markdown_it_py-4.3.0-py3-none-any.whl (96 kB)
     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 97.0/97.0 kB 250.1 MB/s eta 0:00:00
WARNING: Location 'file:///opt/pypi-more/simple/pygments/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/pygments-2.21.0-py3-none-any.whl (from rich)
WARNING: Location 'file:///opt/pypi-more/simple/mdurl/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/mdurl-0.1.2-py3-none-any.whl (from markdown-it-py>=2.2.0->rich)
Installing collected packages: pygments, mdurl, markdown-it-py, rich
Successfully installed markdown-it-py-4.3.0 mdurl-0.1.2 pygments-2.21.0 rich-15.0.0
==================== screen
Looking in indexes: https://pypi.org/simple, file:///opt/pypi/simple, file:///opt/pypi-more/simple
Looking in links: /opt/wheels
WARNING: Location 'file:///opt/pypi-more/simple/rich/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/rich-15.0.0-py3-none-any.whl
WARNING: Location 'file:///opt/pypi-more/simple/markdown-it-py/' is ignored: it is neither a file nor a directory.
Collecting markdown-it-py>=2.2.0 (from rich)
  Downloading markdown_it_py-4.3.0-py3-none-any.whl (96 kB)
     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 97.0/97.0 kB 250.1 MB/s eta 0:00:00
WARNING: Location 'file:///opt/pypi-more/simple/pygments/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/pygments-2.21.0-py3-none-any.whl (from rich)
WARNING: Location 'file:///opt/pypi-more/simple/mdurl/' is ignored: it is neither a file nor a directory.
Processing /opt/pypi/files/mdurl-0.1.2-py3-none-any.whl (from markdown-it-py>=2.2.0->rich)
Installing collected packages: pygments, mdurl, markdown-it-py, rich
Successfully installed markdown-it-py-4.3.0 mdurl-0.1.2 pygments-2.21.0 rich-15.0.0
