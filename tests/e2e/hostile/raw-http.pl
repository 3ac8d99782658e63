#!/usr/bin/perl
#
# raw-http.pl PORT FILE [eof]: send FILE's bytes, unchanged, to
# 127.0.0.1:PORT as one HTTP/1.1 request (with "eof", then shut down the
# sending side, for a request that promised more than it sends), read the
# answer until the server closes the connection or 5 s pass, and print
# its status code (000 if none).
# The whole answer goes to FILE.answer.  For requests curl will not make:
# a Content-Length that lies, is negative or is not a number; two of them.
# Only 127.0.0.1 is ever contacted.  Needs only perl-base.

use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

die "usage: raw-http.pl PORT FILE [eof]\n" unless @ARGV == 2 || @ARGV == 3;
my ($port, $file, $eof) = @ARGV;
die "raw-http.pl: bad port\n" unless $port =~ /^[0-9]+$/;

open(my $in, '<:raw', $file) or die "raw-http.pl: $file: $!\n";
my $req = do { local $/; <$in> };
close($in);

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
    Proto => 'tcp', Timeout => 5) or do { print "000\n"; exit 0 };
binmode($s);
$s->syswrite($req);
# Say that nothing more comes: a server waiting for a body it was
# promised sees the end at once instead of after its timeout.  (Only
# then: nginx may take an early end as the client giving up.)
$s->shutdown(1) if defined $eof && $eof eq 'eof';

my $sel = IO::Select->new($s);
my $answer = '';
my $deadline = time + 5;
while (time < $deadline && $sel->can_read($deadline - time)) {
	my $n = $s->sysread(my $buf, 65536);
	last unless $n;
	$answer .= $buf;
}
close($s);

open(my $out, '>:raw', "$file.answer") or die "raw-http.pl: $!\n";
print $out $answer;
close($out);
print $answer =~ m{^HTTP/1\.[01] ([0-9]{3}) } ? "$1\n" : "000\n";
