"""Type stubs for tantra_weights, the Python face of Tantra Weight Manager's C++ core (docs/PYTHON.md)."""

import os
from typing import Any, Literal, Mapping, Optional, Union

import numpy as np

__version__: str

_Root = Optional[Union[str, "os.PathLike[str]"]]
_Framework = Literal["numpy", "torch"]
# A state dict's values: numpy arrays, array-likes, or CPU torch tensors (any layout).
_StateDict = Mapping[str, Any]

class TantraError(Exception):
    """Base of every error the workspace reports; str() names the file, tensor or key."""
    path: str
    """The file at fault, or '' when there is none."""
    problem: str
    """What is wrong with it."""

class WeightNotFound(TantraError):
    """No weight of that name or version is registered, or the type has no active weight."""

class InvalidWeight(TantraError):
    """A file breaks the safetensors format, or a weight does not fit its type's config."""

class ConfigError(TantraError):
    """The model type has no config, or its config does not parse or breaks a rule."""

class WorkspaceLocked(TantraError):
    """Another process held the registry lock for the whole wait; nothing was changed."""

def load_model_weights(
    model_type: str, version: Optional[str] = None, framework: _Framework = "numpy", root: _Root = None
) -> dict[str, Any]:
    """The tensors of the active weight (or `version`) as name -> read-only numpy array over the
    file's mapping (zero-copy). bf16 comes as uint16, the 8-bit floats as uint8 codes, the
    packed 4/6-bit floats as 1-D uint8 bytes. framework='torch': torch tensors over the same
    memory (bf16 as torch.bfloat16); never write to them (the mapping is read-only)."""

def save_model_weights(
    state_dict: _StateDict,
    model_type: str,
    version: Optional[str] = None,
    activate: bool = False,
    metadata: Optional[Mapping[str, str]] = None,
    dtypes: Optional[Mapping[str, str]] = None,
    root: _Root = None,
) -> str:
    """Writes, hashes, validates against the type's config and registers a new version in one
    locked step (as `import`); version None: a UTC timestamp. `dtypes` re-tags raw arrays,
    e.g. {"w": "BF16"} for a bf16 tensor loaded as uint16. Returns the weight's path."""

def get_model_config(model_type: str, root: _Root = None) -> dict[str, Any]:
    """The type's config: model_type, description, architecture, derived, training, serve, paths, extra, config_path."""

def get_paths(model_type: str, root: _Root = None) -> dict[str, Any]:
    """The paths section of the type's config."""

def get_training_config(model_type: str, root: _Root = None) -> dict[str, Any]:
    """The training section of the type's config."""

def get_serve_config(model_type: str, root: _Root = None) -> dict[str, Any]:
    """The serve section of the type's config."""

def create_model_config(model_type: str, from_type: Optional[str] = None, root: _Root = None, **overrides: Any) -> dict[str, Any]:
    """Writes Config/<model_type>.yaml from from_type (or the minimal template) with overrides
    (d_model=512: architecture; training={"lr": 1e-3}: a section's keys). Returns the config."""

class WeightManager:
    """The weights of a workspace: root, else $TANTRA_ROOT, else the current folder."""
    def __init__(self, root: _Root = None) -> None: ...
    @property
    def root(self) -> str:
        """The workspace's root folder."""
    def load_weights(self, model_type: str, version: Optional[str] = None, framework: _Framework = "numpy") -> dict[str, Any]:
        """As load_model_weights."""
    def save_weights(
        self,
        state_dict: _StateDict,
        model_type: str,
        name: Optional[str] = None,
        version: Optional[str] = None,
        is_active: bool = False,
        metadata: Optional[Mapping[str, str]] = None,
        dtypes: Optional[Mapping[str, str]] = None,
    ) -> str:
        """As save_model_weights; name is '<model_type>_<version>'."""
    def get_weight_path(self, model_type: str, version: Optional[str] = None) -> str:
        """The absolute path of a weight (version None: the active one)."""
    def set_active_weight(self, name: str) -> None:
        """Makes the weight '<type>_<version>' active for its type."""
    def backup_weight(self, name: str) -> str:
        """Writes a backup archive of the weight; returns its path."""
    def cleanup_old_weights(self, model_type: str, keep_count: int, dry_run: bool = False) -> list[str]:
        """Removes all but the keep_count newest weights (never the active one); returns the names removed."""
    def validate_weights(self, model_type: str, version: Optional[str] = None, deep: bool = False) -> dict[str, Any]:
        """Checks a weight against its config (deep: also checksum, NaN/Inf); keys weight, path,
        passed, deep, issues, tensor_count, rules_checked."""
    def list_weights(self, model_type: Optional[str] = None) -> list[dict[str, Any]]:
        """Registered weights as dicts (registry fields, name, active)."""
    def list_models(self) -> list[str]:
        """The configured model types."""
    def active_weight(self, model_type: str) -> Optional[str]:
        """The active weight's name of a type, or None."""
    def verify(self, model_type_or_name: Optional[str] = None) -> list[dict[str, str]]:
        """Re-hashes weights against the registry; keys weight, status (ok/changed/missing/error), message, sha256."""
    def history(self, model_type: str) -> list[dict[str, str]]:
        """The type's activations, oldest first: weight, previous, at."""
    def rollback(self, model_type: str) -> str:
        """Activates the weight active before the current one; returns its name."""
    def setup(self) -> dict[str, list[str]]:
        """Creates the layout, copies the default configs, writes a sample weight per type."""

class ConfigManager:
    """The model-type configs (Config/<type>.yaml) of a workspace."""
    def __init__(self, root: _Root = None) -> None: ...
    def get_model_config(self, model_type: str) -> dict[str, Any]:
        """As get_model_config."""
    def get_paths(self, model_type: str) -> dict[str, Any]:
        """The paths section."""
    def get_training_config(self, model_type: str) -> dict[str, Any]:
        """The training section."""
    def get_serve_config(self, model_type: str) -> dict[str, Any]:
        """The serve section."""
    def list_model_types(self) -> list[str]:
        """The configured model types, sorted."""
    def create_model_config(self, model_type: str, from_type: Optional[str] = None, **overrides: Any) -> dict[str, Any]:
        """As create_model_config."""

class ModelRuntime:
    """A model type's active weight (or version) bound by its config: every expected tensor
    checked, aliases resolved, tied tensors served from their source; zero-copy views."""
    def __init__(self, model_type: str, version: Optional[str] = None, root: _Root = None, framework: _Framework = "numpy") -> None: ...
    def tensor(self, name: str) -> Any:
        """A tensor by canonical name or alias; KeyError if the config names none."""
    @property
    def tensors(self) -> dict[str, Any]:
        """Every bound tensor by canonical name."""
    def dimension(self, name: str) -> Optional[int]:
        """An architecture or derived value (d_model, d_inner, ...), or None."""
    @property
    def config(self) -> dict[str, Any]:
        """The type's config."""
    @property
    def weight(self) -> dict[str, Any]:
        """The bound weight's registry entry."""
