"""Running kinerja: the CLI, the embedded and distributed runners and the development servers."""
