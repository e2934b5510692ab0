"""Fixed Chinese texts and the command menus."""

from __future__ import annotations

from telegram import BotCommand

HELP = """<b>讲话问答机器人</b>
向我提问，我会从收录的讲话中找出最相关的原文段落，加粗问题中的词语，并注明出处（讲话、部分、要点、段落）。

<b>用法</b>
• 私聊：直接发送问题，例如：
  廉政责任书多久签一次
  如何带好队伍
• 群组：<code>/ask 问题</code>、@我 加问题，或回复我的消息
• 任意聊天：输入 @我的用户名 加问题，分享引用的段落
• 回答下方的按钮：「更多」看下一批结果，「全文」看整段原文

<b>命令</b>
/speeches 收录的讲话与提纲
/commitments 讲话中的承诺与要求（时间、频次、数量、责任人），可导出 CSV
/ask 问题 提问（群组中使用）
/help 本说明"""

ADMIN_HELP = """

<b>管理员</b>
/reload 重新读取语料并重建索引
/stats 运行统计
发送 .txt、.md 或 .docx 文件即可添加讲话"""

NOT_ADMIN = "抱歉，这个功能只对管理员开放。"
STALE = "结果已过期，请重新提问"
ERROR = "抱歉，处理时出错了，请稍后再试。"
ASK_USAGE = "用法：/ask 问题，例如：/ask 廉政责任书多久签一次"
RELOADING = "正在重新载入语料，期间照常回答问题……"

USER_COMMANDS = [
    BotCommand("ask", "提问：/ask 问题"),
    BotCommand("speeches", "收录的讲话"),
    BotCommand("commitments", "讲话中的承诺与要求"),
    BotCommand("help", "使用说明"),
    BotCommand("start", "开始"),
]
ADMIN_COMMANDS = [
    *USER_COMMANDS,
    BotCommand("reload", "重新载入语料"),
    BotCommand("stats", "运行统计"),
    BotCommand("rollback", "语料回到上一个版本"),
]
NO_CORPUS_STORE = "没有配置语料存储（corpus_store_url），无法回滚：请在服务器上恢复语料文件后 /reload。"
