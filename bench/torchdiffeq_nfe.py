"""Reference NFE counts of torchdiffeq's adaptive solvers on the problems of
`crates/flowdiff/src/solver/tests.rs::adaptive_nfe_is_close_to_torchdiffeq` (golden values there).

    pip install torch torchdiffeq && python3 bench/torchdiffeq_nfe.py
"""
import torch
import torchdiffeq

PROBLEMS = {
    # dx/dt = cos(t) x on [0, 2.5]
    "linear": (lambda t, x: torch.cos(t) * x, 2.5),
    # dx/dt = -x^3 + sin(3t) on [0, 3]
    "cubic": (lambda t, x: -x**3 + torch.sin(3 * t), 3.0),
}

x0 = torch.tensor([[1.0, -0.5], [2.0, 0.25]], dtype=torch.float64)
for name, (f, t1) in PROBLEMS.items():
    for method in ["bosh3", "dopri5", "tsit5"]:
        for tol in [1e-3, 1e-5]:
            count = [0]

            def func(t, x):
                count[0] += 1
                return f(t, x)

            try:
                torchdiffeq.odeint(func, x0, torch.tensor([0.0, t1], dtype=torch.float64), method=method, rtol=tol, atol=tol)
                print(f"{name} {method} tol={tol:g}: nfe={count[0]}")
            except Exception as e:  # tsit5 is missing from some torchdiffeq releases
                print(f"{name} {method} tol={tol:g}: unavailable ({type(e).__name__})")
print("torchdiffeq", getattr(torchdiffeq, "__version__", "?"), "torch", torch.__version__)
