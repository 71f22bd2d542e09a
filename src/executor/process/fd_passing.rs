//! Messages with descriptors attached, over a Unix sequenced-packet socket: how the pool hands a
//! fork server the pipes of a worker to be, and how the server hands back a handle on the worker
//! (a pidfd).
//!
//! A `SOCK_SEQPACKET` socket keeps message boundaries and delivers each message whole, so one
//! `sendmsg` is one request and one `recvmsg` reads it, its descriptors (`SCM_RIGHTS`) with it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The most descriptors one message carries.
pub(crate) const MAX_FDS: usize = 4;

/// A connected pair of sequenced-packet sockets, both close-on-exec.
pub(crate) fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is a valid array of two descriptors for socketpair to fill.
    let made = unsafe {
        libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr())
    };
    if made != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded: both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Space for a control message of `MAX_FDS` descriptors, aligned as `cmsghdr` needs.
#[repr(C, align(8))]
struct ControlBuffer([u8; 64]);

/// Sends `bytes` and `fds` (at most [`MAX_FDS`]) as one message; the receiver gets copies of the
/// descriptors, which the caller may then close.
pub(crate) fn send(socket: &OwnedFd, bytes: &[u8], fds: &[RawFd]) -> io::Result<()> {
    assert!(fds.len() <= MAX_FDS, "at most {MAX_FDS} descriptors a message");
    let mut iov = libc::iovec { iov_base: bytes.as_ptr().cast_mut().cast(), iov_len: bytes.len() };
    let mut control = ControlBuffer([0; 64]);
    // SAFETY: a zeroed msghdr is a valid empty one; every pointer set below outlives the call.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &raw mut iov;
    message.msg_iovlen = 1;
    if !fds.is_empty() {
        let payload = std::mem::size_of_val(fds) as u32;
        // SAFETY: CMSG_SPACE and CMSG_LEN only compute sizes; the buffer holds CMSG_SPACE of
        // MAX_FDS descriptors (checked by the assertion below), so the header and the
        // descriptors written through CMSG_FIRSTHDR and CMSG_DATA stay inside it.
        unsafe {
            let space = libc::CMSG_SPACE(payload) as usize;
            assert!(space <= control.0.len());
            message.msg_control = control.0.as_mut_ptr().cast();
            message.msg_controllen = space as _;
            let header = libc::CMSG_FIRSTHDR(&raw const message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(payload) as _;
            std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(header).cast::<RawFd>(), fds.len());
        }
    }
    loop {
        // SAFETY: `message` describes valid buffers; MSG_NOSIGNAL turns a closed peer into EPIPE.
        let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &raw const message, libc::MSG_NOSIGNAL) };
        if sent >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Receives one message into `buffer`: its length (0 at end of stream) and the descriptors it
/// carried, owned by the caller and close-on-exec.
pub(crate) fn receive(socket: &OwnedFd, buffer: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut iov = libc::iovec { iov_base: buffer.as_mut_ptr().cast(), iov_len: buffer.len() };
    let mut control = ControlBuffer([0; 64]);
    // SAFETY: as in `send`.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &raw mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.0.as_mut_ptr().cast();
    message.msg_controllen = control.0.len() as _;
    let received = loop {
        // SAFETY: `message` describes valid buffers for recvmsg to fill.
        let received = unsafe { libc::recvmsg(socket.as_raw_fd(), &raw mut message, libc::MSG_CMSG_CLOEXEC) };
        if received >= 0 {
            break received as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    let mut fds = Vec::new();
    // SAFETY: recvmsg filled `message` and its control buffer; CMSG_FIRSTHDR and CMSG_NXTHDR walk
    // the headers it wrote, within msg_controllen, and each SCM_RIGHTS payload is an array of
    // descriptors the kernel installed in this process, owned by nobody else yet.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&raw const message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(header).cast::<RawFd>();
                let bytes = (*header).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                for index in 0..bytes / std::mem::size_of::<RawFd>() {
                    fds.push(OwnedFd::from_raw_fd(data.add(index).read_unaligned()));
                }
            }
            header = libc::CMSG_NXTHDR(&raw const message, header);
        }
    }
    if message.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "a message too long for its buffer"));
    }
    Ok((received, fds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_message_carries_its_bytes_and_working_descriptors() {
        let (ours, theirs) = seqpacket_pair().unwrap();
        let (mut read, write) = crate::executor::process::sys::pipe().unwrap();
        send(&ours, b"fork", &[write.as_raw_fd()]).unwrap();
        drop(write);
        let mut buffer = [0u8; 16];
        let (len, fds) = receive(&theirs, &mut buffer).unwrap();
        assert_eq!(&buffer[..len], b"fork");
        let [passed]: [OwnedFd; 1] = fds.try_into().unwrap();
        std::fs::File::from(passed).write_all(b"through").unwrap();
        let mut text = String::new();
        read.read_to_string(&mut text).unwrap();
        assert_eq!(text, "through");
        drop(ours);
        assert_eq!(receive(&theirs, &mut buffer).unwrap().0, 0, "end of stream once the peer closes");
    }
}
