✔ Dependencies installed
✖ Build failed: 2 errors
see build.log
==================== screen
✔ Dependencies installed
✖ Build failed: 2 errors
see build.log
