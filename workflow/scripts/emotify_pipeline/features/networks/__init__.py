"""The networks that turn a decoded clip into a feature vector, by name: ImageNet VGG19
(torchvision, :mod:`vgg19`) and the musicnn port (PyTorch, from the package's TensorFlow
checkpoints, :mod:`musicnn`), each a :class:`base.Network`.

Everything that is not a network -- the shard runner, the checkpoint, the merge, the naming of
feature files and the Snakemake rules (the ``{model}`` wildcard, the weights each extraction
reads, the leakage warnings) -- asks this registry: :func:`network` for one by name,
:func:`names` for all of them.

Adding a network
----------------
Write one module here, ``features/networks/<name>.py``, with a subclass of
:class:`base.Network`: its ``name`` and ``table_name``; the ``layers`` and ``poolings`` it
accepts (and ``settings_key``, the configuration block they are read from); what trained it
(:meth:`~base.Network.training_data`) and, when that could be the data's own audio, its
``leakage_warning``; :meth:`~base.Network.value_settings` (the settings that change its values,
read from the configuration's ``features`` block); :meth:`~base.Network.weights_file` and
:meth:`~base.Network.load_weights` (where its weights come from, loaded and checked, with their
provenance); :meth:`~base.Network.inputs` (a dataset from :mod:`inputs` -- the spectrogram image
of :class:`inputs.ClipImages` -- or a subclass of its own, and its collation);
:meth:`~base.Network.activation_shape`; and :meth:`~base.Network.batcher`, the forward pass from
a collated batch to (clips, dim) float32 rows. Import it below and add its instance to
``_BUILT_IN`` (an import, not a discovery at run time: the rules' code digests follow the
package's imports, so a change to the module reruns its extractions). Then add its name to the
enum of ``$defs/network`` in ``config/schema.yaml``, which ``features.model`` and
``features.compare`` read (with a ``features.<name>`` block beside ``features.musicnn`` when it
takes settings of its own), and say what it is in the schema's ``features.model`` description
(``config/README.md``'s table is rendered from the schema by ``python docs/render.py``);
``tests/test_networks.py`` checks that the schema and the registry agree. Nothing else
names networks: the rules build their wildcard constraint, weights inputs, value settings and
leakage warnings from here. A network whose weights the workflow must fetch or convert also
needs the rule that makes its weights file (as ``rules/musicnn.smk`` does for musicnn's); one
whose weights file the user puts in place, or that starts from seeded random weights, needs
none. ``tests/test_networks.py`` registers a network of its own (:func:`register`,
:func:`unregister`) and runs it through the shard runner, the merge and the neighbour rankings:
a template for a new network's test.
"""

from ...core.errors import EmotifyError
from . import musicnn, vgg19
from .base import Network

#: the network of the configuration's default (``features.model``) and of feature files that
#: name none (files without a ``model`` attribute)
DEFAULT_NETWORK = vgg19.NETWORK.name

_BUILT_IN: tuple[Network, ...] = (vgg19.NETWORK, *musicnn.NETWORKS)
_REGISTRY: dict[str, Network] = {net.name: net for net in _BUILT_IN}


def register(net: Network) -> Network:
    """Add ``net`` under its name; a name already taken is an :class:`EmotifyError`."""
    if not isinstance(net, Network):
        raise EmotifyError(f"{net!r} is not a features.networks.base.Network")
    if net.name in _REGISTRY:
        raise EmotifyError(f"a network named {net.name!r} is already registered")
    _REGISTRY[net.name] = net
    return net


def unregister(name: str) -> None:
    """Remove the network ``name`` (one added by :func:`register`; the built-in ones stay)."""
    if any(net.name == name for net in _BUILT_IN):
        raise EmotifyError(f"{name!r} is a built-in network and cannot be unregistered")
    _REGISTRY.pop(name, None)


def network(name: str) -> Network:
    """The registered network ``name``, or an :class:`EmotifyError` listing the registered ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise EmotifyError(
            f"features.model: {name!r} is not one of {list(_REGISTRY)} (the registered networks)"
        ) from None


def names() -> tuple[str, ...]:
    """The registered networks' names, the built-in ones first in their order."""
    return tuple(_REGISTRY)
