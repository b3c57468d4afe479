"""Make tests/data/musicnn_reference.npz: the ORIGINAL TensorFlow graph of the musicnn package's
models on the 40 real clips, for tests/test_musicnn.py to compare the PyTorch port against
where TensorFlow is not installed.

Run in an environment with TensorFlow (not the study's; envs/tensorflow.yaml or
``pip install -r requirements-tensorflow.txt``), from the repository root::

    pip download --no-deps musicnn==0.1.0 -d resources/models
    python tests/data/make_musicnn_reference.py resources/models/musicnn-0.1.0-py3-none-any.whl \\
        ../shared/emotify tests/data/musicnn_reference.npz

The graph is the package's own training graph (its ``.meta``), imported and restored as the
package does, fed the port's input (:func:`emotify_pipeline.features.networks.musicnn.log_mel` of the clip decoded
at 16 kHz mono, in float32 -- the package's float16 log overflows) so that the two differ only
by the network. Stored per clip and patch (float32): the taggram and the penultimate layer, and
the mean and standard deviation of each input patch (to tell an input difference from a network
difference when the test fails).
"""

import sys
import tempfile
import zipfile
from pathlib import Path

import librosa
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow" / "scripts"))
from emotify_pipeline.features.networks.musicnn import MODELS, SAMPLE_RATE, log_mel, patches  # noqa: E402

GENRES = ("classical", "rock", "electronic", "pop")


def original_graph(model_dir: Path):
    """The package's graph of ``model_dir``, restored: (session, input, is_training, outputs)."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    meta = tf.compat.v1.MetaGraphDef()
    meta.ParseFromString((model_dir / ".meta").read_bytes())
    for node in meta.graph_def.node:  # TF 1.12's gradient nodes carry shapes TF 2 refuses
        if "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
    saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
    sess = tf.compat.v1.Session()
    saver.restore(sess, str(model_dir) + "/")
    g = sess.graph
    outputs = [
        g.get_tensor_by_name("model/Sigmoid:0"),
        g.get_tensor_by_name("model/batch_normalization_10/batchnorm/add_1:0"),
    ]
    return sess, g.get_tensor_by_name("model/Placeholder:0"), g.get_tensor_by_name("model/Placeholder_2:0"), outputs


def main(wheel: str, root: str, out: str) -> None:
    clips = [Path(root) / "emotifymusic" / g / f"{n}.mp3" for g in GENRES for n in range(1, 11)]
    inputs = [patches(log_mel(librosa.load(c, sr=SAMPLE_RATE, mono=True)[0])) for c in clips]
    arrays: dict[str, np.ndarray] = {
        "clips": np.array([f"{c.parent.name}/{c.name}" for c in clips]),
        "n_patches": np.array([len(x) for x in inputs]),
        "input_mean": np.concatenate([x.mean(axis=(1, 2)) for x in inputs]).astype(np.float32),
        "input_std": np.concatenate([x.std(axis=(1, 2)) for x in inputs]).astype(np.float32),
    }
    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(wheel).extractall(tmp)
        for model in MODELS:
            sess, x, training, outputs = original_graph(Path(tmp) / "musicnn" / model)
            taggram, penultimate = (
                np.concatenate(parts).astype(np.float32)
                for parts in zip(*(sess.run(outputs, {x: batch, training: False}) for batch in inputs), strict=True)
            )
            arrays[f"{model}/taggram"], arrays[f"{model}/penultimate"] = taggram, penultimate
            sess.close()
            print(f"{model}: {len(taggram)} patches of {len(clips)} clips")
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
