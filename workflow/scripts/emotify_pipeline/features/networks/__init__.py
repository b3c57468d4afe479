"""The networks that turn a decoded clip into a feature vector: ImageNet VGG19 (torchvision) and
the musicnn port (PyTorch, from the package's TensorFlow checkpoints)."""
