
    0[|||||||||||                                    18.0%] Tasks: 49, 39 thr, 60 kthr; 1 running
    1[|||||||||||||||                                25.5%] Load average: 2.42 3.07 2.87
  Mem[||||||||||                                656M/23.5G] Uptime: 01:09:41
  Swp[                                               0K/0K]

  [Main] [I/O]
  PID USER       PRI  NI  VIRT   RES   SHR S  CPU%▽MEM%   TIME+  Command
20781 root        20   0  391M 98460 15828 S  29.7  0.4  0:12.87 /work/main/.venv/bin/python -u -c import sys;exec(eval(
    1 root        10 -10 50656 15512  6840 S   2.0  0.1  0:16.66 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
23229 root        20   0  414M 49192 12560 S   2.0  0.2  0:00.55 /work/main/.venv/bin/python -m bgview
23287 root        20   0  391M 98460 15828 S   2.0  0.4  0:00.01 /work/main/.venv/bin/python -u -c import sys;exec(eval(
23289 root        20   0  4360  3100  2812 S   2.0  0.0  0:00.01 /usr/bin/bash -c i=0; while true; do i=$((i+1)); echo l
   59 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.34 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   60 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.17 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   61 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   62 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   63 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   64 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   65 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   66 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   69 root        10 -10 50656 15512  6840 S   0.0  0.1  0:02.07 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   71 root        10 -10 50656 15512  6840 S   0.0  0.1  0:02.01 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   76 root        10 -10 50656 15512  6840 S   0.0  0.1  0:11.28 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   77 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   80 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.02 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
 1109 root        20   0  1396  1036   936 S   0.0  0.0  0:01.54 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
 1110 root        20   0  5316  4244  2996 S   0.0  0.0  0:00.50 bash /dev/fd/3
 7840 root        20   0  5556  1068   952 S   0.0  0.0  0:00.25 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
 7841 root        20   0  5296  4256  3032 S   0.0  0.0  0:00.18 bash /dev/fd/3
11993 root        20   0  1392  1084   984 S   0.0  0.0  0:00.03 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
11994 root        20   0  5004  4060  3084 S   0.0  0.0  0:00.06 bash /dev/fd/3
19545 root        20   0  5560  1108   984 S   0.0  0.0  0:00.00 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
19546 root        20   0  5560  1108   984 S   0.0  0.0  0:00.00 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
19549 root        20   0  5244  3052  1828 S   0.0  0.0  0:00.00 bash /dev/fd/3
19550 root        20   0  4728  2308  1596 S   0.0  0.0  0:00.00 bash /dev/fd/3
19553 root        20   0  2928  1792  1684 S   0.0  0.0  0:00.00 timeout 900 .venv/bin/pytest -q -p no:cacheprovider -n
19554 root        20   0  3900  1984  1820 S   0.0  0.0  0:00.00 grep -E passed|failed|^FAILED
19555 root        20   0  208M 59096 12548 S   0.0  0.2  0:01.05 /work/main/.venv/bin/python .venv/bin/pytest -q -p no:c
==================== screen

    0[|||||||||||                                    18.0%] Tasks: 49, 39 thr, 60 kthr; 1 running
    1[|||||||||||||||                                25.5%] Load average: 2.42 3.07 2.87
  Mem[||||||||||                                656M/23.5G] Uptime: 01:09:41
  Swp[                                               0K/0K]

  [Main] [I/O]
  PID USER       PRI  NI  VIRT   RES   SHR S  CPU%▽MEM%   TIME+  Command
20781 root        20   0  391M 98460 15828 S  29.7  0.4  0:12.87 /work/main/.venv/bin/python -u -c import sys;exec(eval(
    1 root        10 -10 50656 15512  6840 S   2.0  0.1  0:16.66 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
23229 root        20   0  414M 49192 12560 S   2.0  0.2  0:00.55 /work/main/.venv/bin/python -m bgview
23287 root        20   0  391M 98460 15828 S   2.0  0.4  0:00.01 /work/main/.venv/bin/python -u -c import sys;exec(eval(
23289 root        20   0  4360  3100  2812 S   2.0  0.0  0:00.01 /usr/bin/bash -c i=0; while true; do i=$((i+1)); echo l
   59 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.34 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   60 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.17 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   61 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   62 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   63 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   64 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   65 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   66 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   69 root        10 -10 50656 15512  6840 S   0.0  0.1  0:02.07 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   71 root        10 -10 50656 15512  6840 S   0.0  0.1  0:02.01 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   76 root        10 -10 50656 15512  6840 S   0.0  0.1  0:11.28 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   77 root        10 -10 50656 15512  6840 S   0.0  0.1  0:00.00 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
   80 root        20   0 50656 15512  6840 S   0.0  0.1  0:00.02 /process_api --firecracker-init --addr 0.0.0.0:2024 --m
 1109 root        20   0  1396  1036   936 S   0.0  0.0  0:01.54 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
 1110 root        20   0  5316  4244  2996 S   0.0  0.0  0:00.50 bash /dev/fd/3
 7840 root        20   0  5556  1068   952 S   0.0  0.0  0:00.25 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
 7841 root        20   0  5296  4256  3032 S   0.0  0.0  0:00.18 bash /dev/fd/3
11993 root        20   0  1392  1084   984 S   0.0  0.0  0:00.03 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
11994 root        20   0  5004  4060  3084 S   0.0  0.0  0:00.06 bash /dev/fd/3
19545 root        20   0  5560  1108   984 S   0.0  0.0  0:00.00 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
19546 root        20   0  5560  1108   984 S   0.0  0.0  0:00.00 line_io_tools/binary_backend --uid 0 --gid 0 --startup-
19549 root        20   0  5244  3052  1828 S   0.0  0.0  0:00.00 bash /dev/fd/3
19550 root        20   0  4728  2308  1596 S   0.0  0.0  0:00.00 bash /dev/fd/3
19553 root        20   0  2928  1792  1684 S   0.0  0.0  0:00.00 timeout 900 .venv/bin/pytest -q -p no:cacheprovider -n
19554 root        20   0  3900  1984  1820 S   0.0  0.0  0:00.00 grep -E passed|failed|^FAILED
19555 root        20   0  208M 59096 12548 S   0.0  0.2  0:01.05 /work/main/.venv/bin/python .venv/bin/pytest -q -p no:c
