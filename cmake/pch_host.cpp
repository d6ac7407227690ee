// The host of a precompiled header set (cmake/CrewaiPch.cmake): the targets that compile the
// headers once for every other target. An executable host needs a main; it is never run.
int main() { return 0; }
