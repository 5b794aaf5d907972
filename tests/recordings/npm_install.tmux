
added 8 packages in 863ms
==================== screen

added 8 packages in 863ms
