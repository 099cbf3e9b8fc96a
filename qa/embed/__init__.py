"""Step 2, embed: texts become vectors, with the prompts the models were trained on.

In: chunk and sentence texts, questions. Out: unit vectors per view (e5, USE)
and e5's per-token states for the word alignment (``align``).

``e5convert`` turns the shipped 4-bit model into a folder once, ``encoders``
runs it (numpy, or ``int8`` ONNX Runtime stacks), ``ray_pool`` spreads a bulk
pass over a Ray cluster. A new view is one more embedder in ``encoders``.
"""
