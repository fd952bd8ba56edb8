/** The error `promise` rejects with; a promise that resolves fails the test. */
export async function failure<E = Error>(promise: Promise<unknown>): Promise<E> {
	try {
		await promise;
	} catch (error) {
		return error as E;
	}
	throw new Error('expected a failure');
}
