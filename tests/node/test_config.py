"""node.toml: a good file loads; a malformed one is refused in one line naming the key,
by the library and by ``accord node``."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from accord.cli import app
from accord.device import DeviceConfig
from accord.node import NodeConfigError, load_config
from accord.node.config import NodeConfig, parse_config

GOOD = """
seed = 5
[node]
port = 9000
data_dir = "chain"
block_interval_ms = 500
admin_token = "0123456789abcdef0123"
[node.limits]
max_batch = 10
[device]
chain_id = 11
ordering = "fcfs"
[genesis.assets.ETH]
issuer = "treasury"
alloc = { alice = 1_000 }
"""


def test_a_good_file_loads_with_data_dir_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.seed == 5 and config.node.port == 9000 and config.node.host == "127.0.0.1"
    assert config.node.data_dir == tmp_path / "chain"
    assert config.chain_path == tmp_path / "chain" / "chain.db"
    assert config.device.chain_id == 11 and config.device.ordering == "fcfs"
    assert config.node.limits.max_batch == 10 and config.node.limits.max_request_bytes == 1_048_576
    assert config.genesis.assets["ETH"].alloc == {"alice": 1_000}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[node\nport = 1", "not valid TOML"),
        ("[node]\nprot = 1", "node.prot: Extra inputs are not permitted"),
        ("[node]\nport = 70000", "node.port: Input should be less than or equal to 65535"),
        ("[node]\nadmin_token = 'short'", "node.admin_token: String should have at least 16"),
        ("[device]\nchain_id = -1", "device.chain_id"),
        ("[device]\nordering = 'fastest'", "device.ordering"),
        ("[genesis]\npublic_keys = { a = 'zz' }", "public_keys['a'] must be 64 lowercase hex"),
        ("seed = 'x'", "seed: Input should be a valid integer"),
        ("[node.limits]\nip_rate = 0", "node.limits.ip_rate"),
        # finality and forks (issue 16): no coercion, and settings that fit together
        ("[device]\nfinality_depth = true", "device: finality_depth: Input should be a valid int"),
        ("[device]\nfinality_depth = '2'", "device: finality_depth: Input should be a valid int"),
        ("[device]\nfinality_depth = 2.0", "device: finality_depth: Input should be a valid int"),
        ("[device]\nfinality_depth = -1", "device: finality_depth: Input should be greater"),
        ("[device]\nfinality_depth = 1025", "device: finality_depth: Input should be less"),
        ("[device]\nfinality_depth = 2\nfork_choice = 'deepest'", "device: fork_choice: Input"),
        ("[device]\nfinality_depth = 2\nfork_choice = 1", "device: fork_choice: Input"),
        ("[device]\nfinality_depth = 2\nbuilder_shares = 5", "device: builder_shares: Input"),
        ("[device]\nfinality_depth = 2\nbuilder_shares = { a = '5' }", "builder_shares.a: In"),
        ("[device]\nfinality_depth = 2\nbuilder_shares = { a = true }", "builder_shares.a: In"),
        ("[device]\nfinality_depth = 2\nbuilder_shares = { a = 10001 }", "must be 0..10000 bps"),
        ("[device]\nfinality_depth = 2\nbuilder_shares = { a = -1 }", "must be 0..10000 bps"),
        (
            "[device]\nfinality_depth = 2\nbuilder_shares = { a = 6000, b = 5000 }",
            "builder_shares sum to 11000 bps, more than 10000",
        ),
        ("[device]\nfork_choice = 'heaviest'", "need finality_depth > 0"),
        ("[device]\nbuilder_shares = { a = 10 }", "need finality_depth > 0"),
        (
            "[device]\nfinality_depth = 2\nfork_choice = 'heaviest'",
            "'heaviest' needs builder_shares with a positive share",
        ),
        ("[device]\nfinality_depth = 2\nrecord_inclusions = 1", "record_inclusions: Input"),
    ],
)
def test_malformed_files_are_refused_in_one_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "node.toml"
    path.write_text(text)
    with pytest.raises(NodeConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert says in message and "\n" not in message and message.startswith(str(path))


def test_the_fork_settings_load(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text(
        GOOD.replace(
            'ordering = "fcfs"\n',
            'ordering = "fcfs"\nfinality_depth = 3\nfork_choice = "heaviest"\n'
            "builder_shares = { builder = 7000, bandit = 3000 }\n",
        )
    )
    device = load_config(path).device
    assert (device.finality_depth, device.fork_choice) == (3, "heaviest")
    assert device.builder_shares == {"builder": 7000, "bandit": 3000}


def test_a_missing_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(NodeConfigError, match="no such file"):
        load_config(tmp_path / "none.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(NodeConfigError, match="cannot read it"):
        load_config(tmp_path / "bin.toml")


def test_the_command_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text("[node]\nprot = 1")
    result = CliRunner().invoke(app, ["node", "--config", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "node.prot: Extra inputs are not permitted" in lines[0]


def test_a_node_keeps_receipts_roots_and_refuses_a_file_that_turns_them_off() -> None:
    assert parse_config({}).device.receipts_roots is True
    assert parse_config({"device": {"chain_id": 7}}).device.receipts_roots is True
    assert NodeConfig(device=DeviceConfig(chain_id=3)).device.receipts_roots is True
    for off in (False, 0, "no", None):
        with pytest.raises(NodeConfigError, match=r"device\.receipts_roots: a node serves"):
            parse_config({"device": {"receipts_roots": off}})
    with pytest.raises(ValidationError, match=r"device\.receipts_roots"):
        NodeConfig(device=DeviceConfig(receipts_roots=False))
