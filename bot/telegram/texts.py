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

• 接着问：「那第四部分呢」「还有吗」「这篇讲话是谁讲的」都会接着上一个问题回答
• 讲话本身：谁讲的、什么时候、在什么会议上、有多长、有几个部分

<b>命令</b>
/speeches [词语] 收录的讲话（可按标题、讲话人、年份、地区筛选，如 /speeches 市长）
/outline [讲话] 讲话的提纲
/commitments [词语] [目标/项目/要求/期限] [今年/规划期] 讲话中的承诺与要求，按类型和期限筛选，可导出 CSV
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
PART_TOO_LONG = "……这一部分较长，其余段落请在提纲中逐段查看，或直接提问。"
UPLOAD_CLASH = "已有同名讲话 {existing}（文档编号 {doc_id}），文件未保存。请改名后重新发送，或发送同名同格式的文件以替换它。"
RELOADING = "正在重新载入语料，期间照常回答问题……"
OUTLINE_USAGE = "用法：/outline 讲话名称（或年份、地区），例如：/outline 市长。也可以从下面选一篇："
UNKNOWN_COMMAND = "没有 {command} 这个命令。"

USER_COMMANDS = [
    BotCommand("ask", "提问：/ask 问题"),
    BotCommand("speeches", "收录的讲话，可加词语筛选"),
    BotCommand("outline", "讲话的提纲"),
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
