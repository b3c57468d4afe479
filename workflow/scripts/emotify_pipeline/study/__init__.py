"""The study: its declarative table of experiments and figures, Experiments I-IV, the
repeated evaluation with its permutation tests, the analyses beyond the paper, the ablation and
the comparison of networks. Imports the stages below."""
