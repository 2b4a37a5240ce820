// SPDX-License-Identifier: GPL-2.0
/*
 * For tests/bpf/nested_state.sh: makes KVM_GET_NESTED_STATE and KVM_SET_NESTED_STATE calls that
 * fail (on /dev/null: ENOTTY), with the request as QEMU passes it (an int: GET arrives
 * sign-extended in the register) and as an unsigned long, and SETs whose flags say guest mode.
 *
 * usage: nested_state_ioctls GETS SETS   (each count split between the two request forms)
 * Prints "pid PID" and exits 0 when every call failed with ENOTTY, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kvm.h>

static int call(int fd, int as_int, unsigned long request, struct kvm_nested_state *st)
{
	/* the raw syscall: what reaches the register is exactly this 64-bit value */
	unsigned long r = as_int ? (unsigned long)(long)(int)request : request;
	long ret = syscall(SYS_ioctl, fd, r, st);

	return ret < 0 && errno == ENOTTY ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct kvm_nested_state st = { .flags = KVM_STATE_NESTED_GUEST_MODE,
					      .size = sizeof(st) };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), bad = 0;
	long gets, sets;

	if (argc != 3 || fd < 0) {
		fprintf(stderr, "usage: nested_state_ioctls GETS SETS\n");
		return 2;
	}
	gets = strtol(argv[1], NULL, 10);
	sets = strtol(argv[2], NULL, 10);
	printf("pid %d\n", (int)getpid());
	for (long i = 0; i < gets; i++)
		bad |= call(fd, (int)(i & 1), KVM_GET_NESTED_STATE, &st);
	for (long i = 0; i < sets; i++)
		bad |= call(fd, (int)(i & 1), KVM_SET_NESTED_STATE, &st);
	/* a request that is neither (GET's number + 1): not counted */
	bad |= call(fd, 1, KVM_GET_NESTED_STATE + 1, &st);
	close(fd);
	return bad ? 1 : 0;
}
