Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]
Get:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]
Get:3 http://deb.debian.org/debian-security bookworm-security InRelease [34.8 kB]
Fetched 241 kB in 0s (538 kB/s)
Reading package lists... Done
N: Ignoring file 'nodesource.sources.disabled-by-farm' in directory '/etc/apt/sources.list.d/' as it has an invalid filename extension
N: Ignoring file 'google-cloud-sdk.list.disabled-by-farm' in directory '/etc/apt/sources.list.d/' as it has an invalid filename extension
==================== screen
Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]
Get:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]
Get:3 http://deb.debian.org/debian-security bookworm-security InRelease [34.8 kB]
Fetched 241 kB in 0s (538 kB/s)
Reading package lists... Done
N: Ignoring file 'nodesource.sources.disabled-by-farm' in directory '/etc/apt/sources.list.d/' as it has an invalid filename extension
N: Ignoring file 'google-cloud-sdk.list.disabled-by-farm' in directory '/etc/apt/sources.list.d/' as it has an invalid filename extension
