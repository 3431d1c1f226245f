"""The framework adapters, tested inside the real frameworks (``nox -s adapters``).

    KERAS_BACKEND=jax pytest adapters                  # everything, Keras on JAX
    KERAS_BACKEND=torch pytest adapters/test_keras.py  # Keras on PyTorch

Every framework these tests need is a dependency of the ``adapters`` session: a missing
one is an error (the import fails), never a silent skip.
"""
