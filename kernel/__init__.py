"""The shared kernel: small, domain-free building blocks every kinerja service uses.

Nothing here knows about satker, IKU or evidence. Services depend on the kernel; the kernel
depends on no service. Keep it that way: a domain rule that creeps in here couples services.
"""
