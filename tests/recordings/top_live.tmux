top - 04:24:27 up  1:09,  0 user,  load average: 2.42, 3.07, 2.87
Tasks: 108 total,   1 running, 102 sleeping,   0 stopped,   5 zombie
%Cpu(s): 13.9 us,  3.8 sy,  0.0 ni, 82.3 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
MiB Mem :  24105.1 total,  20731.7 free,    953.9 used,   2723.1 buff/cache
MiB Swap:      0.0 total,      0.0 free,      0.0 used.  23151.1 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
20781 root      20   0  401728  99268  15828 S  26.8   0.4   0:13.51 python
    1 root      10 -10   50656  15512   6840 S   2.4   0.1   0:16.67 process_api
23289 root      20   0    4360   3100   2812 S   2.4   0.0   0:00.04 bash
    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd
    3 root      20   0       0      0      0 S   0.0   0.0   0:00.00 pool_workqueue_release
    4 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-rcu_gp
    5 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-sync_wq
    6 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-kvfree_rcu_reclaim
    7 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-slub_flushwq
    8 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-netns
    9 root      20   0       0      0      0 I   0.0   0.0   0:00.78 kworker/0:0-mm_percpu_wq
   10 root       0 -20       0      0      0 I   0.0   0.0   0:00.39 kworker/0:0H-kblockd
   13 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-mm_percpu_wq
   14 root      20   0       0      0      0 S   0.0   0.0   0:00.60 ksoftirqd/0
   15 root      20   0       0      0      0 I   0.0   0.0   0:05.88 rcu_preempt
   16 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_par_gp_kthread_worker/0
   17 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_gp_kthread_worker
   18 root      rt   0       0      0      0 S   0.0   0.0   0:00.24 migration/0
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
   34 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-writeback
   35 root      20   0       0      0      0 S   0.0   0.0   0:00.11 kcompactd0
   36 root      25   5       0      0      0 S   0.0   0.0   0:00.00 ksmd
==================== screen
Tasks: 108 total,   1 running, 102 sleeping,   0 stopped,   5 zombie
%Cpu(s): 13.9 us,  3.8 sy,  0.0 ni, 82.3 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
MiB Mem :  24105.1 total,  20731.7 free,    953.9 used,   2723.1 buff/cache
MiB Swap:      0.0 total,      0.0 free,      0.0 used.  23151.1 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
20781 root      20   0  401728  99268  15828 S  26.8   0.4   0:13.51 python
    1 root      10 -10   50656  15512   6840 S   2.4   0.1   0:16.67 process_api
23289 root      20   0    4360   3100   2812 S   2.4   0.0   0:00.04 bash
    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd
    3 root      20   0       0      0      0 S   0.0   0.0   0:00.00 pool_workqueue_release
    4 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-rcu_gp
    5 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-sync_wq
    6 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-kvfree_rcu_reclaim
    7 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-slub_flushwq
    8 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-netns
    9 root      20   0       0      0      0 I   0.0   0.0   0:00.78 kworker/0:0-mm_percpu_wq
   10 root       0 -20       0      0      0 I   0.0   0.0   0:00.39 kworker/0:0H-kblockd
   13 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-mm_percpu_wq
   14 root      20   0       0      0      0 S   0.0   0.0   0:00.60 ksoftirqd/0
   15 root      20   0       0      0      0 I   0.0   0.0   0:05.88 rcu_preempt
   16 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_par_gp_kthread_worker/0
   17 root      20   0       0      0      0 S   0.0   0.0   0:00.00 rcu_exp_gp_kthread_worker
   18 root      rt   0       0      0      0 S   0.0   0.0   0:00.24 migration/0
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
   34 root       0 -20       0      0      0 I   0.0   0.0   0:00.00 kworker/R-writeback
   35 root      20   0       0      0      0 S   0.0   0.0   0:00.11 kcompactd0
   36 root      25   5       0      0      0 S   0.0   0.0   0:00.00 ksmd
