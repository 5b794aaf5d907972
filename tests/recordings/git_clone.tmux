Cloning into '/tmp/rec/clone-20753'...
remote: Enumerating objects: 1159, done.
remote: Counting objects: 100% (1159/1159), done.
remote: Compressing objects: 100% (554/554), done.
remote: Total 1159 (delta 860), reused 778 (delta 594), pack-reused 0
Receiving objects: 100% (1159/1159), 474.25 KiB | 14.82 MiB/s, done.
Resolving deltas: 100% (860/860), done.
==================== screen
Cloning into '/tmp/rec/clone-20753'...
remote: Enumerating objects: 1159, done.
remote: Counting objects: 100% (1159/1159), done.
remote: Compressing objects: 100% (554/554), done.
remote: Total 1159 (delta 860), reused 778 (delta 594), pack-reused 0
Receiving objects: 100% (1159/1159), 474.25 KiB | 14.82 MiB/s, done.
Resolving deltas: 100% (860/860), done.
