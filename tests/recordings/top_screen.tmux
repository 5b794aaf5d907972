top - 04:23:57 up  1:09,  0 user,  load average: 2.87, 3.20, 2.91
Tasks: 114 total,   2 running, 106 sleeping,   0 stopped,   6 zombie
%Cpu(s): 60.5 us, 11.1 sy,  0.0 ni, 28.4 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
MiB Mem :  24105.1 total,  20708.0 free,    943.5 used,   2756.7 buff/cache
MiB Swap:      0.0 total,      0.0 free,      0.0 used.  23161.5 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
20784 root      20   0  378688  76280  16000 S  37.5   0.3   0:04.41 python
20781 root      20   0  398656  96388  15828 S  32.5   0.4   0:04.70 python
21347 root      20   0   23228  18560   6796 R  20.0   0.1   0:00.08 pytest
21319 root      20   0       0      0      0 Z  15.0   0.0   0:00.06 python
21324 root      20   0   17452  13972   6428 S  10.0   0.1   0:00.04 python
    1 root      10 -10   51172  15816   6840 S   0.0   0.1   0:16.52 process_api
    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd
    3 root      20   0       0      0      0 S   0.0   0.0   0:00.00 pool_workqueue_release
    4 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-rcu_gp
    5 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-sync_wq
    6 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-kvfree_rcu_reclaim
    7 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-slub_flushwq
    8 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-netns
    9 root      20   0       0      0      0 I   0.0   0.0   0:00.77 kworker/0:0-virtio_vsock
   10 root       0 -20       0      0      0 I   0.0   0.0   0:00.39 kworker/0:0H-kblockd
   13 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-mm_percpu_wq
   14 root      20   0       0      0      0 S   0.0   0.0   0:00.60 ksoftirqd/0
   15 root      20   0       0      0      0 I   0.0   0.0   0:05.82 rcu_preempt
   16 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_par_gp_kthread_worker/0
   17 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_gp_kthread_worker
   18 root      rt   0       0      0      0 S   0.0   0.0   0:00.23 migration/0
   19 root      20   0       0      0      0 S   0.0   0.0   0:00.00 cpuhp/0
   20 root      20   0       0      0      0 S   0.0   0.0   0:00.00 cpuhp/1
   21 root      rt   0       0      0      0 S   0.0   0.0   0:00.50 migration/1
   22 root      20   0       0      0      0 S   0.0   0.0   0:01.00 ksoftirqd/1
   25 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kdevtmpfs
   26 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-inet_frag_wq
   27 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_kthread
   28 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_rude_kthread
   29 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_trace_kthread
   30 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kauditd
   31 root      20   0       0      0      0 S   0.0   0.0   0:00.00 khungtaskd
   33 root      20   0       0      0      0 S   0.0   0.0   0:00.00 oom_reaper
==================== screen
Tasks: 114 total,   2 running, 106 sleeping,   0 stopped,   6 zombie
%Cpu(s): 60.5 us, 11.1 sy,  0.0 ni, 28.4 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
MiB Mem :  24105.1 total,  20708.0 free,    943.5 used,   2756.7 buff/cache
MiB Swap:      0.0 total,      0.0 free,      0.0 used.  23161.5 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
20784 root      20   0  378688  76280  16000 S  37.5   0.3   0:04.41 python
20781 root      20   0  398656  96388  15828 S  32.5   0.4   0:04.70 python
21347 root      20   0   23228  18560   6796 R  20.0   0.1   0:00.08 pytest
21319 root      20   0       0      0      0 Z  15.0   0.0   0:00.06 python
21324 root      20   0   17452  13972   6428 S  10.0   0.1   0:00.04 python
    1 root      10 -10   51172  15816   6840 S   0.0   0.1   0:16.52 process_api
    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd
    3 root      20   0       0      0      0 S   0.0   0.0   0:00.00 pool_workqueue_release
    4 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-rcu_gp
    5 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-sync_wq
    6 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-kvfree_rcu_reclaim
    7 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-slub_flushwq
    8 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-netns
    9 root      20   0       0      0      0 I   0.0   0.0   0:00.77 kworker/0:0-virtio_vsock
   10 root       0 -20       0      0      0 I   0.0   0.0   0:00.39 kworker/0:0H-kblockd
   13 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-mm_percpu_wq
   14 root      20   0       0      0      0 S   0.0   0.0   0:00.60 ksoftirqd/0
   15 root      20   0       0      0      0 I   0.0   0.0   0:05.82 rcu_preempt
   16 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_par_gp_kthread_worker/0
   17 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_gp_kthread_worker
   18 root      rt   0       0      0      0 S   0.0   0.0   0:00.23 migration/0
   19 root      20   0       0      0      0 S   0.0   0.0   0:00.00 cpuhp/0
   20 root      20   0       0      0      0 S   0.0   0.0   0:00.00 cpuhp/1
   21 root      rt   0       0      0      0 S   0.0   0.0   0:00.50 migration/1
   22 root      20   0       0      0      0 S   0.0   0.0   0:01.00 ksoftirqd/1
   25 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kdevtmpfs
   26 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-inet_frag_wq
   27 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_kthread
   28 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_rude_kthread
   29 root      20   0       0      0      0 I   0.0   0.0   0:00.00 rcu_tasks_trace_kthread
   30 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kauditd
   31 root      20   0       0      0      0 S   0.0   0.0   0:00.00 khungtaskd
   33 root      20   0       0      0      0 S   0.0   0.0   0:00.00 oom_reaper
