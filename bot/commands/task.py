"""/task: the subcommand parsers of the task command and their rows of the usage table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.commands.errors import err
from bot.commands.refs import parse_user
from bot.commands.requests import (
    OpenForm,
    TaskAck,
    TaskAdd,
    TaskApprove,
    TaskAssign,
    TaskBlock,
    TaskCancel,
    TaskCoOwners,
    TaskDone,
    TaskEdit,
    TaskExtend,
    TaskHistory,
    TaskList,
    TaskNodeAdd,
    TaskNodeDone,
    TaskProgress,
    TaskReject,
    TaskReopen,
    TaskShow,
    TaskUnblock,
    TaskVerify,
)
from bot.commands.table import Subcommand, row
from bot.commands.tokens import Ctx, Token, date_run, norm, split_options
from bot.commands.values import (
    DONE_WORDS,
    LIST_SCOPES,
    PRIORITIES,
    Priority,
    confirmed,
    need_id,
    need_user,
    no_more,
    one_person,
    paged,
    parse_id,
    parse_light,
    parse_percent,
    vocab_word,
)

# =============================================================================================
# /task


def _task_add(ctx: Ctx, args: list[Token]) -> OpenForm | TaskAdd:
    if not args:
        return OpenForm(form="task_add")
    words, opts = split_options(ctx, args, ("due", "force", "dept", "prio", "parent", "owner"))
    owner, title_words = one_person(words, opts.get("owner"))
    title = ctx.free(title_words)
    if not title:
        raise err("cmd.missing_title")
    if "due" not in opts:
        raise err("cmd.missing_due")
    priority: Priority = "normal"
    if "prio" in opts:
        found = PRIORITIES.get(norm(opts["prio"]))
        if found is None:
            raise err("cmd.bad_priority", text=opts["prio"])
        priority = found
    parent_id = parse_id(opts["parent"]) if "parent" in opts else None
    return TaskAdd(
        title=title, owner=owner, due=opts["due"], force=opts.get("force"), dept=opts.get("dept"),
        priority=priority, parent_id=parent_id,
    )  # fmt: skip


def _task_list(ctx: Ctx, args: list[Token]) -> TaskList:
    words, opts, page = paged(ctx, args, ("force", "light"))
    light = parse_light(opts.get("light"))
    if "force" in opts:
        no_more(ctx, words)
        return TaskList(scope="force", force=opts["force"], page=page, light=light)
    if not words:
        return TaskList(scope="mine", page=page, light=light)
    no_more(ctx, words[1:])
    user = parse_user(words[0].raw)
    if user is not None:
        return TaskList(scope="user", user=user, page=page, light=light)
    scope = vocab_word(LIST_SCOPES, words[0])
    if scope is None:
        raise err("cmd.bad_list_scope", text=words[0].raw)
    return TaskList(scope=scope, page=page, light=light)  # type: ignore[arg-type]


def _id_only(cls: type[TaskShow | TaskHistory | TaskVerify | TaskApprove | TaskAck]) -> Callable[[Ctx, list[Token]], Any]:
    """A parser for ``<id>`` and nothing else."""

    def parse_it(ctx: Ctx, args: list[Token]) -> Any:
        task_id, rest = need_id(args)
        no_more(ctx, rest)
        return cls(task_id=task_id)

    return parse_it


def _id_reason(cls: type[TaskReopen | TaskReject | TaskCancel]) -> Callable[[Ctx, list[Token]], Any]:
    """A parser for ``<id> <reason…>`` with the reason required."""

    def parse_it(ctx: Ctx, args: list[Token]) -> Any:
        task_id, rest = need_id(args)
        reason = ctx.free(rest)
        if not reason:
            raise err("cmd.missing_reason")
        return cls(task_id=task_id, reason=reason)

    return parse_it


def _id_note(cls: type[TaskDone | TaskUnblock]) -> Callable[[Ctx, list[Token]], Any]:
    """A parser for ``<id> [note…]``."""

    def parse_it(ctx: Ctx, args: list[Token]) -> Any:
        task_id, rest = need_id(args)
        return cls(task_id=task_id, note=ctx.free(rest) or None)

    return parse_it


def _task_progress(ctx: Ctx, args: list[Token]) -> OpenForm | TaskProgress:
    if not args:
        return OpenForm(form="task_progress")
    task_id, rest = need_id(args)
    if not rest:
        return OpenForm(form="task_progress", task_id=task_id)
    percent = parse_percent(rest[0].raw)
    return TaskProgress(task_id=task_id, percent=percent, note=ctx.free(rest[1:]) or None)


def _task_block(ctx: Ctx, args: list[Token]) -> OpenForm | TaskBlock:
    task_id, rest = need_id(args)
    if not rest:
        return OpenForm(form="task_block", task_id=task_id)
    return TaskBlock(task_id=task_id, reason=ctx.free(rest))


def _task_extend(ctx: Ctx, args: list[Token]) -> OpenForm | TaskExtend:
    task_id, rest = need_id(args)
    if not rest:
        return OpenForm(form="task_extend", task_id=task_id)
    new_due, used = date_run(ctx, [t.raw for t in rest[:3]])
    reason = ctx.free(rest[used:])
    if not reason:
        raise err("cmd.missing_reason")
    return TaskExtend(task_id=task_id, new_due=new_due, reason=reason)


def _task_assign(ctx: Ctx, args: list[Token]) -> TaskAssign:
    task_id, rest = need_id(args)
    if not rest:
        raise err("cmd.missing_user")
    owner = need_user(rest[0])
    no_more(ctx, rest[1:])
    return TaskAssign(task_id=task_id, owner=owner)


def _task_verify(ctx: Ctx, args: list[Token]) -> TaskVerify:
    task_id, rest = need_id(args)
    rest, confirm = confirmed(rest)
    no_more(ctx, rest)
    return TaskVerify(task_id=task_id, confirm=confirm)


_REMOVE_WORDS = {"remove", "移除", "删除", "去掉"}


def _task_coowners(ctx: Ctx, args: list[Token]) -> TaskCoOwners:
    task_id, rest = need_id(args)
    remove = bool(rest) and rest[0].norm in _REMOVE_WORDS
    if remove:
        rest = rest[1:]
    if not rest:
        raise err("cmd.missing_user")
    return TaskCoOwners(task_id=task_id, users=[need_user(tok) for tok in rest], remove=remove)


def _task_edit(ctx: Ctx, args: list[Token]) -> TaskEdit:
    task_id, rest = need_id(args)
    words, opts = split_options(ctx, rest, ("title", "due", "dept", "prio", "node", "desc"))
    no_more(ctx, words)
    if "node" in opts and "due" not in opts:
        raise err("cmd.edit_node_due")
    if not {"title", "due", "dept", "prio", "desc"} & opts.keys():
        raise err("cmd.edit_nothing")
    priority = None
    if "prio" in opts:
        priority = PRIORITIES.get(norm(opts["prio"]))
        if priority is None:
            raise err("cmd.bad_priority", text=opts["prio"])
    node_no = None
    if "node" in opts:
        node_no = parse_id(opts["node"], "cmd.bad_node_no")
        if "due" not in opts or {"title", "dept", "prio", "desc"} & opts.keys():
            raise err("cmd.edit_node_due")
    return TaskEdit(task_id=task_id, title=opts.get("title"), due=opts.get("due"), dept=opts.get("dept"),
                    priority=priority, node_no=node_no, description=opts.get("desc"))


def _task_node(ctx: Ctx, args: list[Token]) -> TaskNodeAdd | TaskNodeDone:
    task_id, rest = need_id(args)
    if not rest:
        raise err("cmd.missing_date")
    if vocab_word(DONE_WORDS, rest[0]) is not None:
        if len(rest) < 2:
            raise err("cmd.missing_node_no")
        node_no = parse_id(rest[1].raw, "cmd.bad_node_no")
        no_more(ctx, rest[2:])
        return TaskNodeDone(task_id=task_id, node_no=node_no)
    due, used = date_run(ctx, [t.raw for t in rest[:4]])
    name = ctx.free(rest[used:])
    if not name:
        raise err("cmd.missing_node_name")
    return TaskNodeAdd(task_id=task_id, due=due, name=name)


# =============================================================================================
# The /task rows of the table, in the order help shows them

SUBCOMMANDS: tuple[Subcommand, ...] = (
    row("task", "add", "新建", _task_add,
        ("/task 新建 <标题…> [<@责任人>] 截止:<日期> [专班:<名称>] [部门:<名称>] [优先级:高|普通] [上级:<编号>]",
         "/task add <title…> [<@owner>] due:<date> [force:<name>] [dept:<name>] [prio:high|normal] [parent:<id>]"),
        ("新建任务；不带参数则打开表单", "create a task; with no arguments, opens a form")),
    row("task", "list", "列表", _task_list,
        ("/task 列表 [我的|逾期|全部|<@某人>|专班:<名称>] [灯:红|黄|绿|灰] [第<n>页]",
         "/task list [mine|overdue|all|<@user>|force:<name>] [light:red|yellow|green|grey] [page:<n>]"),
        ("列出任务，默认我的", "list tasks, mine by default")),
    row("task", "show", "查看", _id_only(TaskShow),
        ("/task 查看 <编号>", "/task show <id>"), ("查看任务", "show a task")),
    row("task", "history", "历史", _id_only(TaskHistory),
        ("/task 历史 <编号>", "/task history <id>"), ("任务的变更记录", "a task's history")),
    row("task", "progress", "进展", _task_progress,
        ("/task 进展 <编号> <n>% [说明…]", "/task progress <id> <n>% [note…]"),
        ("报告进度（0–100%）", "report progress (0–100%)")),
    row("task", "done", "完成", _id_note(TaskDone),
        ("/task 完成 <编号> [说明…]", "/task done <id> [note…]"),
        ("报告完成，等待负责人销号", "report done; the lead verifies")),
    row("task", "verify", "销号", _task_verify,
        ("/task 销号 <编号> [确认]", "/task verify <id> [confirm]"), ("负责人确认完成（销号）", "lead verifies a done task")),
    row("task", "reopen", "退回", _id_reason(TaskReopen),
        ("/task 退回 <编号> <原因…>", "/task reopen <id> <reason…>"),
        ("负责人退回完成申请", "lead sends a done task back")),
    row("task", "block", "受阻", _task_block,
        ("/task 受阻 <编号> <原因…>", "/task block <id> <reason…>"),
        ("标记受阻并写明原因", "flag a blocker with its reason")),
    row("task", "unblock", "解除", _id_note(TaskUnblock),
        ("/task 解除 <编号> [说明…]", "/task unblock <id> [note…]"), ("解除受阻", "clear a blocker")),
    row("task", "extend", "延期", _task_extend,
        ("/task 延期 <编号> <日期> <原因…>", "/task extend <id> <date> <reason…>"),
        ("申请延期", "ask for more time")),
    row("task", "approve", "批准", _id_only(TaskApprove),
        ("/task 批准 <编号>", "/task approve <id>"), ("批准延期申请", "approve an extension")),
    row("task", "reject", "驳回", _id_reason(TaskReject),
        ("/task 驳回 <编号> <原因…>", "/task reject <id> <reason…>"),
        ("驳回延期申请", "reject an extension")),
    row("task", "assign", "指派", _task_assign,
        ("/task 指派 <编号> <@某人>", "/task assign <id> <@user>"), ("指派责任人", "give a task to someone")),
    row("task", "coowner", "协办", _task_coowners,
        ("/task 协办 <编号> [移除] <@某人>…", "/task coowner <id> [remove] <@user>…"),
        ("添加或移除协办人", "add or remove co-owners")),
    row("task", "node", "节点", _task_node,
        ("/task 节点 <编号> <日期> <名称…>\n/task 节点 <编号> 完成 <序号>",
         "/task node <id> <date> <name…>\n/task node <id> done <n>"),
        ("添加时间节点，或标记第 n 个节点完成", "add a time node, or mark node n reached")),
    row("task", "ack", "收到", _id_only(TaskAck),
        ("/task 收到 <编号>", "/task ack <id>"), ("确认收到催办", "acknowledge a reminder")),
    row("task", "edit", "修改", _task_edit,
        ("/task 修改 <编号> [标题:…] [内容:…] [截止:<更早的日期>] [单位:<部门>] [优先级:紧急|普通]\n/task 修改 <编号> 节点:<序号> 截止:<日期>",
         "/task edit <id> [title:…] [desc:…] [due:<earlier date>] [dept:<name>] [prio:high|normal]\n/task edit <id> node:<n> due:<date>"),
        ("更正任务的标题、截止日期、责任单位或优先级，或节点日期", "correct a task's title, deadline, department or "
         "priority, or a node's date")),
    row("task", "cancel", "撤销", _id_reason(TaskCancel),
        ("/task 撤销 <编号> <原因…>", "/task cancel <id> <reason…>"), ("撤销任务", "cancel a task")),
)
