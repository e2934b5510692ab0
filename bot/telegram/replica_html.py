"""The admin's replies about several replicas: who reloaded to which corpus version, shared numbers."""

from __future__ import annotations

from bot.service.replicas import ClusterReload
from bot.service.shared_stats import SharedNumbers
from bot.telegram.html import esc, fit_lines, reload_html


def cluster_reload_html(result: ClusterReload, old_documents: int, old_passages: int) -> str:
    """Who reloaded to which corpus version, who failed or did not answer, then this replica's report."""
    total = len(result.replies) + len(result.missing)
    versions = "、".join(f"<code>{esc(v)}</code>" for v in result.versions) or "无"
    lines = [f"副本：{len(result.reloaded)}/{total} 个已重新载入，语料版本 {versions}。"]
    if len(result.versions) > 1:
        lines.append("⚠️ 各副本的语料版本不一致。")
    for reply in result.failed:
        lines.append(f"❌ {esc(reply.replica)}：{esc(reply.error or '失败')}")
    for replica in result.missing:
        lines.append(f"⏱ {esc(replica)}：未按时回复")
    if result.warning:
        lines.append(f"⚠️ {esc(result.warning)}")
    lines.append("")
    if result.local is not None:
        lines.extend(reload_html(result.local, old_documents, old_passages).split("\n"))
    else:
        lines.append("⏱ 本副本没有按时完成重新载入。")
    return fit_lines(lines)


def shared_stats_html(shared: SharedNumbers | None) -> str:
    """The numbers summed over replicas (None: Redis not reachable)."""
    if shared is None:
        return "\n⚠️ Redis 不可用：以上只是本副本的统计。"
    total = shared.total
    mean = total.mean_seconds
    return "\n".join(
        [
            "",
            f"<b>全部副本（{shared.replicas} 个）</b>",
            f"问题：{total.questions} 个，其中拒绝 {total.refusals} 个",
            "平均检索时间：" + (f"{mean * 1000:.0f} 毫秒" if mean is not None else "暂无"),
        ]
    )
