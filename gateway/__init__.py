"""The gateway: the one edge of kinerja, and the composition of the embedded system."""
