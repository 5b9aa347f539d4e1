"""``python -m simulation run|check|validate FILE`` — see ``simulation.cli.main``.

With ``--workers N`` above 1 the run forks its pool from this process once the engine is imported and
the scenario read (``engine.processes.start_early``; a fork server where ``fork`` is missing).

NumPy's OpenBLAS starts a thread per core when NumPy is imported; the engine uses no BLAS, and on a
two-core machine those threads cost about 0.09 s of CPU per process (the pool's too), so the CLI runs
OpenBLAS on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise.

The process keeps the memory its arrays free for the next ones instead of returning it to the system
and getting fresh, zeroed pages each time (``engine.processes.keep_freed_memory``; glibc only).

The garbage collector is off while the modules are imported, and what they made is then frozen out of
it (``gc.freeze``): collections during the run walk only what the run makes (about 30 ms of CPU less
per run). At the end the process ends without tearing the interpreter down (``entry_point(fast_exit=True)``);
where it must exit normally (after a pool ran), every object is first frozen out of the garbage
collector (``gc.freeze``), so exiting frees them without walking them all (about 0.1 s of CPU after a
full run otherwise).
"""

import gc
import os
import sys

gc.disable()  # the imports make ~40,000 objects that live as long as the process: no collection need walk them
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported (here and in the pool)
# the scenario's models use no pydantic plugin; looking for them reads every installed package's entry points
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from simulation.engine.processes import keep_freed_memory, start_early  # noqa: E402 (the standard library only)

keep_freed_memory()  # before the arrays are made (here and in a pool forked from here)
if __name__ == "__main__":
    start_early(sys.argv[1:])

from simulation.cli.main import entry_point  # noqa: E402 (after start_early and gc.disable)

gc.freeze()  # what the imports made is never collected (nor touched in a pool forked from here); the rest is
gc.enable()

if __name__ == "__main__":
    try:
        entry_point(fast_exit=True)
    finally:  # the process ends: its last garbage collections would only walk every object once more
        gc.freeze()
